// What page code holds for a subscription (src/subscription.rs, src/driver.rs).

/**
 * A promise and the functions that settle it: in JS, js_sys::Promise::new would bring a closure
 * shim and a fallback that compiles a function from a string, which a strict
 * Content-Security-Policy forbids.
 */
export function deferred() {
  let settle;
  const promise = new Promise((resolve, reject) => (settle = [resolve, reject]));
  return [promise, ...settle];
}

// What `subscribe` resolves with and what the legacy `client.subscribe` returns: arrow functions,
// so page code may destructure them.
export function subscriptionObject(handle) {
  return {
    unsubscribe: () => handle.unsubscribe(),
    update: (changes) => handle.update(changes),
    close: () => handle.close(),
  };
}

export function unsubscribeFunction(handle) {
  return () => { handle.unsubscribe(); };
}
