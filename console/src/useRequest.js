// One request at a time from a form: `busy` disables its button while in flight, `error` is the
// last failure (shown through errors.js next to what caused it).
import { useRef, useState } from "preact/hooks";

export function useRequest() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  // A ref, not the state: a double click delivers both clicks before the disabled button renders.
  const inFlight = useRef(false);
  async function run(send) {
    if (inFlight.current) return undefined;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    try {
      return await send();
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }
  return { busy, error, run, setError };
}
