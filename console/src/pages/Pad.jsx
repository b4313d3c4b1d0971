import { press } from "../pad.js";

const KEYS = ["7", "8", "9", "4", "5", "6", "1", "2", "3", ".", "0", "⌫"];

// A big-number pad for a gloved finger at the pump; the text is the amount in yuan.
export function Pad({ text, onChange }) {
  return (
    <div class="pad">
      {KEYS.map((key) => (
        <button type="button" key={key} aria-label={key === "⌫" ? "删除" : key}
          onClick={() => onChange(press(text, key))}>{key}</button>
      ))}
      <button type="button" class="wide" onClick={() => onChange(press(text, "C"))}>清除</button>
    </div>
  );
}
