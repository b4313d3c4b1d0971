// A form that creates one thing: its fields, what the form itself finds wrong before sending
// (`problem`, from `toBody`), the POST with its busy state and error, and a fresh form after.
import { useState } from "preact/hooks";
import { call } from "./api.js";
import { FieldProblem } from "./ErrorText.jsx";
import { useRequest } from "./useRequest.js";

export function useCreateForm({ fresh, toBody, path, onCreated }) {
  const [form, setForm] = useState(fresh);
  const [problem, setProblem] = useState(null);
  const request = useRequest();
  const set = (patch) => setForm({ ...form, ...patch });
  return {
    form, set, request,
    // A text input's value and its change.
    text: (name) => ({ value: form[name], onInput: (e) => set({ [name]: e.currentTarget.value }) }),
    // A value in a list field (grades ticked): in when out, out when in.
    toggle: (name, value) => set({ [name]: form[name].includes(value)
      ? form[name].filter((x) => x !== value) : [...form[name], value] }),
    // What is wrong with one field, the form's own finding first.
    at: (field) => <FieldProblem problem={problem} error={request.error} field={field} />,
    async submit(event) {
      event.preventDefault();
      const { body, problem: found } = toBody(form);
      setProblem(found);
      if (found) return;
      const done = await request.run(() => call("POST", path, { body }));
      if (done) {
        setForm(fresh());
        onCreated(done.data);
      }
    },
  };
}
