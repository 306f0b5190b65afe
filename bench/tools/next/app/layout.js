// The root layout: the bench's instrumentation (bench/first-event.mjs's `instrumentSource`,
// written to ./instrument.js by bench/first-event-tools.mjs) runs first, inline in the <head>,
// as it does on the other tools' pages.
import { instrument } from './instrument.js';

export const metadata = { title: 'first event' };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <head>
        <link rel="icon" href="data:," />
        <script dangerouslySetInnerHTML={{ __html: instrument }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
