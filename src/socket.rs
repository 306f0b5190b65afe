//! The browser WebSocket, owned RAII-style: dropping a [`Socket`] detaches its handlers, closes it
//! and only then frees the closures, so a late browser event can never call freed Rust code.

use std::rc::Weak;

use appwrite_realtime_core::{FrameError, ServerFrame};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, Event, WebSocket};

use crate::decode::{decode_frame, JsPayload};
use crate::error::{ErrorKind, RealtimeError};

#[wasm_bindgen(module = "/js/sockets.js")]
extern "C" {
    /// Installs `on_frame(envelope, data)` as the socket's message handler; frames are counted
    /// and logged in the connection's `hub`.
    fn listen(socket: &WebSocket, hub: &JsValue, on_frame: &JsValue);
    #[wasm_bindgen(js_name = hasWebSocket)]
    fn has_websocket() -> bool;
    /// A WebSocket to `url`, or, where the connection's hub asks for sharing across tabs, a
    /// stand-in whose frames travel through the tab that owns the shared socket.
    #[wasm_bindgen(catch, js_name = openSocket)]
    fn open_socket(url: &str, session: &str, hub: &JsValue) -> Result<WebSocket, JsValue>;
}

// Never called: naming js/tabs.js makes wasm-bindgen ship it beside the other snippets, for
// js/sockets.js imports it.
#[wasm_bindgen(module = "/js/tabs.js")]
extern "C" {
    #[allow(dead_code)]
    fn join();
}

/// What the socket reports to its owner. Held weakly: a socket never keeps its driver alive.
pub(crate) trait SocketListener {
    fn socket_opened(&self);
    /// One frame, decoded, or why it could not be.
    fn socket_frame(&self, frame: Result<ServerFrame<JsPayload>, FrameError>);
    fn socket_closed(&self, code: u16);
}

pub(crate) struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn Fn(JsValue, JsValue)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Socket {
    /// Opens a socket to `url` for a connection with `session` (`""` for none; it decides the
    /// group of tabs it may share with). Fails where the environment has no WebSocket (SSR, old workers) or
    /// the URL is rejected by the browser.
    pub(crate) fn open<L: SocketListener + 'static>(
        url: &str,
        session: &str,
        hub: &JsValue,
        listener: Weak<L>,
    ) -> Result<Socket, String> {
        // The URL may carry a JWT, and the browser's message repeats the URL: both are redacted
        // before the text can reach onError or the console.
        let ws = open_socket(url, session, hub).map_err(|err| {
            redact_secrets(
                &[
                    "could not open a WebSocket to ",
                    url,
                    ": ",
                    &crate::args::error_text(&err),
                ]
                .concat(),
            )
        })?;

        let opened = listener.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            if let Some(listener) = opened.upgrade() {
                listener.socket_opened();
            }
        });
        let received = listener.clone();
        // `js/frames.js` read the text: its routing envelope (a JSON string) and its `data`
        // object, or `undefined` and the reason the text could not be read.
        let on_message =
            Closure::<dyn Fn(JsValue, JsValue)>::new(move |envelope: JsValue, data: JsValue| {
                if let Some(listener) = received.upgrade() {
                    listener.socket_frame(decode_frame(envelope.as_string(), data));
                }
            });
        let closed = listener.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            if let Some(listener) = closed.upgrade() {
                listener.socket_closed(event.code());
            }
        });
        // An `error` event is always followed by `close`, which carries what the core needs.
        let on_error = Closure::<dyn FnMut(Event)>::new(|_: Event| {});

        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        listen(&ws, hub, on_message.as_ref());
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        })
    }

    pub(crate) fn send(&self, text: &str) -> Result<(), String> {
        self.ws
            .send_with_str(text)
            .map_err(|err| crate::args::error_text(&err))
    }

    /// Closes with `code`; page code may only use 1000 or 3000–4999.
    pub(crate) fn close(&self, code: u16) {
        let code = if code == 1000 || (3000..=4999).contains(&code) {
            code
        } else {
            1000
        };
        // Closing an already closing socket is a no-op, never an error worth reporting.
        let _ = self.ws.close_with_code(code);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        self.close(1000);
    }
}

/// Fails where there is no `WebSocket` global (server-side rendering, Node before 22), so a
/// subscription fails at once rather than retrying a socket that can never open.
pub(crate) fn ensure_websocket() -> Result<(), RealtimeError> {
    if has_websocket() {
        Ok(())
    } else {
        Err(RealtimeError::new(
            ErrorKind::Environment,
            0,
            "WebSocket is not available in this environment (a browser, a worker or Node 22+ is needed)",
        ))
    }
}

/// Replaces the value of every `jwt=` parameter in `text` with `[redacted]`.
pub(crate) fn redact_secrets(text: &str) -> String {
    const KEY: &str = "jwt=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Byte searches: `str::find` with a string pattern would link a substring searcher.
    while let Some(at) = rest
        .as_bytes()
        .windows(KEY.len())
        .position(|w| w == KEY.as_bytes())
    {
        let value_start = at + KEY.len();
        out.push_str(rest.get(..value_start).unwrap_or_default());
        out.push_str("[redacted]");
        let value = rest.get(value_start..).unwrap_or_default();
        // A JWT is base64url with dots; in a URL it may be percent-encoded.
        let end = value
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'%')))
            .unwrap_or(value.len());
        rest = value.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_secrets;

    #[test]
    fn jwts_never_survive_in_messages() {
        assert_eq!(
            redact_secrets("could not open ws://h/v1/realtime?project=p&jwt=eyJ.a.b: The URL 'ws://h/v1/realtime?project=p&jwt=eyJ.a.b' is invalid."),
            "could not open ws://h/v1/realtime?project=p&jwt=[redacted]: The URL 'ws://h/v1/realtime?project=p&jwt=[redacted]' is invalid."
        );
        assert_eq!(redact_secrets("no secret here"), "no secret here");
        assert_eq!(redact_secrets("jwt=abc&x=1"), "jwt=[redacted]&x=1");
    }
}
