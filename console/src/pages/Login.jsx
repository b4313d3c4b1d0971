import { useState } from "preact/hooks";
import { signIn } from "../api.js";
import { ErrorText } from "../ErrorText.jsx";
import { useRequest } from "../useRequest.js";

export function Login({ onSignedIn }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const request = useRequest();

  async function submit(event) {
    event.preventDefault();
    const session = await request.run(() => signIn(username.trim(), password));
    if (session) onSignedIn(session);
  }

  return (
    <form class="login card" onSubmit={submit}>
      <h1>加油站控制台</h1>
      <label>用户名<input name="username" autocomplete="username" value={username}
        onInput={(e) => setUsername(e.currentTarget.value)} required /></label>
      <label>密码<input name="password" type="password" autocomplete="current-password"
        value={password} onInput={(e) => setPassword(e.currentTarget.value)} required /></label>
      <ErrorText error={request.error} testId="login-error" />
      <button type="submit" class="primary" disabled={request.busy}>
        {request.busy ? "登录中…" : "登录"}
      </button>
    </form>
  );
}
