// A server component (prerendered by `next build`) that renders the client component.
import Events from './events.js';

export default function Page() {
  return (
    <main>
      <Events />
    </main>
  );
}
