import { errorText } from "./errors.js";

// An API error in Chinese, where it happened; nothing when there is none.
export function ErrorText({ error, testId }) {
  if (!error) return null;
  return <p class="error" role="alert" data-testid={testId}>{errorText(error)}</p>;
}

// The error of one form field: shown only when the API named that field.
export function FieldError({ error, field }) {
  if (!error || error.field !== field) return null;
  return <span class="field-error" role="alert">{errorText(error)}</span>;
}
