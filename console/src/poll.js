// Polls a GET with its ETag: an unchanged answer is a 304 with no body, so a quiet board costs
// one small request every few seconds. Stops when stopped; one request in flight at a time.
export function startPoll(fetchPage, onPage, onError, everyMs) {
  let etag = null;
  let timer = null;
  let stopped = false;
  async function tick() {
    try {
      const answer = await fetchPage(etag);
      if (stopped) return;
      if (!answer.notModified) {
        etag = answer.etag;
        onPage(answer.data);
      }
      onError(null);
    } catch (err) {
      if (!stopped) onError(err);
    }
    if (!stopped) timer = setTimeout(tick, everyMs);
  }
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    // After this console changed something: fetch now rather than at the next tick.
    now() {
      clearTimeout(timer);
      etag = null;
      tick();
    },
  };
}
