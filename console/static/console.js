// The console's one script (served from /static: the Content-Security-Policy allows no inline
// script). It only asks before an action that cannot be undone; every page works without it.
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
