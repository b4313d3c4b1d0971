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

// Next to one form field: what the form itself found wrong there (before sending), else what
// the API said about it.
export function FieldProblem({ problem, error, field }) {
  if (problem && problem.field === field) return <span class="field-error" role="alert">{problem.text}</span>;
  return <FieldError error={error} field={field} />;
}

// An API error that names none of the form's fields, shown by the form's button.
export function OtherError({ error, fields, testId }) {
  if (!error || (error.field && fields.includes(error.field))) return null;
  return <ErrorText error={error} testId={testId} />;
}
