/**
 * The token check of the HTTP functions: a request must present a token its route accepts.
 *
 *   no token presented ─▶ 401 "A token is required"   (the secret is not even read)
 *   source.accepts?  ── yes ─▶ go on
 *        │ no ─▶ 401 "The token is not valid"
 *        └ the secret cannot be read ─▶ 503 "retry later" (Leadsie retries; never a 500 or a 401)
 *
 * Nothing of a token, nor of the secret's ARN or the read's failure, reaches the answer.
 */
import { type TokenSource, tokenAccepted } from '../adapters/secrets.ts';
import { DependencyUnavailableError, UnauthorizedError } from '../domain/errors.ts';

/** Throws UnauthorizedError unless one of the presented tokens is accepted by `source`. */
export const requireAcceptedToken = async (
  presented: readonly (string | undefined)[],
  source: TokenSource,
): Promise<void> => {
  const candidates = presented.filter((token): token is string => token !== undefined && token !== '');
  if (candidates.length === 0) throw new UnauthorizedError('A token is required');
  let accepted: boolean;
  try {
    accepted = await tokenAccepted(source, candidates);
  } catch (error) {
    throw new DependencyUnavailableError('The token could not be read; retry later', 'secrets', {
      cause: error,
    });
  }
  if (!accepted) throw new UnauthorizedError('The token is not valid');
};
