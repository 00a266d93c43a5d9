import { useState, type FormEvent } from 'react';
import { ApiError, get, token, type Whoami } from '../api.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (me: Whoami) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    token.set(value.trim());
    try {
      const me = await get<Whoami>('/v1/whoami');
      if (me.role === 'engine') throw new ApiError(403, 'engine tokens cannot sign in');
      onSignedIn(me);
    } catch (err) {
      token.clear();
      setError(err instanceof ApiError && err.status === 401 ? 'That token is not valid.' : (err as Error).message);
    }
  };
  return (
    <div className="signin">
      <form onSubmit={submit} className="card">
        <h1>Corral</h1>
        <p className="muted">Sign in with an admin or customer token (<code>.corral/admin-token</code>, or the token <code>corral customer create</code> printed).</p>
        <input type="password" autoFocus placeholder="crl_…" value={value} onChange={(e) => setValue(e.target.value)} data-testid="token" aria-label="token" />
        {error && <div className="error" role="alert">{error}</div>}
        <button type="submit" disabled={!value.trim()} data-testid="signin">Sign in</button>
      </form>
    </div>
  );
}
