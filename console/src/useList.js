// A paged list (`{items, next_cursor}`) that this page also adds to and changes: what was created
// here stays on top even when a slower first load answers after the creation.
import { useEffect, useRef, useState } from "preact/hooks";
import { call } from "./api.js";
import { useRequest } from "./useRequest.js";

export function mergeCreated(created, fetched) {
  const ids = new Set(fetched.map((x) => x.id));
  return [...created.filter((x) => !ids.has(x.id)), ...fetched];
}

export function usePagedList(path) {
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const created = useRef([]);
  const load = useRequest();

  async function fetchPage(cursor) {
    const sep = path.includes("?") ? "&" : "?";
    const answer = await load.run(() => call("GET", cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path));
    if (!answer) return;
    setItems((shown) => (cursor ? (shown || []).concat(answer.data.items)
      : mergeCreated(created.current, answer.data.items)));
    setNext(answer.data.next_cursor);
  }
  useEffect(() => { fetchPage(null); }, [path]);

  return {
    items, next, load,
    reload: () => fetchPage(null),
    more: () => fetchPage(next),
    add(item) {
      created.current = [item, ...created.current];
      setItems((shown) => [item, ...(shown || []).filter((x) => x.id !== item.id)]);
    },
    replace(item) {
      created.current = created.current.map((x) => (x.id === item.id ? item : x));
      setItems((shown) => (shown || []).map((x) => (x.id === item.id ? item : x)));
    },
  };
}
