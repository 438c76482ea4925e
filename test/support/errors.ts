/** The error a promise rejects with (or a function throws), for asserting on its class and message. */

/** The error `promise` rejects with; fails the test when it resolves. */
export const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection, but the promise resolved');
};

/** The error `run` throws; fails the test when it returns. */
export const thrown = (run: () => void): Error => {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected a throw, but it returned');
};
