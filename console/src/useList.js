// A paged list (`{items, next_cursor}`) that this page also adds to and changes: what was created
// here stays on top even when a slower first load answers after the creation.
import { useEffect, useRef, useState } from "preact/hooks";
import { call } from "./api.js";
import { useRequest } from "./useRequest.js";

const byId = (x) => x.id;

export function mergeCreated(created, fetched, keyOf = byId) {
  const ids = new Set(fetched.map(keyOf));
  return [...created.filter((x) => !ids.has(keyOf(x))), ...fetched];
}

export function usePagedList(path, keyOf = byId) {
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const created = useRef([]);
  const load = useRequest();

  async function fetchPage(cursor) {
    const sep = path.includes("?") ? "&" : "?";
    const answer = await load.run(() => call("GET", cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path));
    if (!answer) return;
    setItems((shown) => (cursor ? (shown || []).concat(answer.data.items)
      : mergeCreated(created.current, answer.data.items, keyOf)));
    setNext(answer.data.next_cursor);
  }
  useEffect(() => { fetchPage(null); }, [path]);

  return {
    items, next, load,
    reload: () => fetchPage(null),
    more: () => fetchPage(next),
    add(item) {
      created.current = [item, ...created.current];
      setItems((shown) => [item, ...(shown || []).filter((x) => keyOf(x) !== keyOf(item))]);
    },
    replace(item) {
      const same = (x) => keyOf(x) === keyOf(item);
      created.current = created.current.map((x) => (same(x) ? item : x));
      setItems((shown) => (shown || []).map((x) => (same(x) ? item : x)));
    },
  };
}
