//! What a connection is configured with: the client's settings ([`ClientConfig`], read through
//! a [`ClientSource`] from this package's `Client` or the official SDK's) and the timing options
//! of `new Realtime(client, options)` ([`Options`]).

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use appwrite_realtime_core::Config;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::args;
use crate::error::RealtimeError;

/// Connection settings, shared by the client and every connection built from it, so that later
/// `setSession`/`setJWT`/`setEndpoint` calls reach live connections.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ClientConfig {
    pub(crate) endpoint_realtime: String,
    pub(crate) project: String,
    pub(crate) session: Option<String>,
    pub(crate) jwt: Option<String>,
}

/// One setting of a `Client`; `""` clears a session or a JWT.
pub(crate) enum Setting {
    EndpointRealtime(String),
    Project(String),
    Session(String),
    Jwt(String),
}

/// Told when a [`SharedConfig`] changes. Held weakly: settings never keep a connection alive.
pub(crate) trait ConfigListener {
    fn config_changed(&self);
}

/// The settings of one Rust `Client` and its copies, and the connections to tell of changes.
pub(crate) struct SharedConfig {
    config: RefCell<ClientConfig>,
    /// The REST endpoint given to `set_endpoint`, for the Rust API's REST lists (live views);
    /// none: derived from the realtime one. Kept apart from [`ClientConfig`], which connections
    /// compare and copy, and which JS clients fill.
    endpoint: RefCell<Option<String>>,
    listeners: RefCell<Vec<Weak<dyn ConfigListener>>>,
}

impl SharedConfig {
    pub(crate) fn new(config: ClientConfig) -> Rc<SharedConfig> {
        Rc::new(SharedConfig {
            config: RefCell::new(config),
            endpoint: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
        })
    }

    /// Keeps the REST endpoint (`http://` or `https://`, checked by the caller).
    pub(crate) fn set_endpoint(&self, endpoint: &str) {
        *self.endpoint.borrow_mut() = Some(endpoint.into());
    }

    /// The REST endpoint: the one given to `set_endpoint`, else the realtime one with `ws(s)://`
    /// made `http(s)://`.
    pub(crate) fn rest_endpoint(&self) -> String {
        if let Some(endpoint) = &*self.endpoint.borrow() {
            return endpoint.clone();
        }
        let config = self.config.borrow();
        let realtime = config.endpoint_realtime.as_str();
        match realtime.split_once("://") {
            Some(("wss", rest)) => ["https://", rest].concat(),
            Some(("ws", rest)) => ["http://", rest].concat(),
            _ => realtime.to_string(),
        }
    }

    /// The project, session and JWT, for REST requests.
    pub(crate) fn credentials(&self) -> ClientConfig {
        self.config.borrow().clone()
    }

    fn register(&self, listener: Weak<dyn ConfigListener>) {
        let mut listeners = self.listeners.borrow_mut();
        listeners.retain(|existing| existing.strong_count() > 0);
        listeners.push(listener);
    }

    /// Applies a change, then, if it changed anything, tells every live listener (outside the
    /// borrow: connections call back into JS). One copy for every setter, not one per setter.
    #[inline(never)]
    pub(crate) fn set(&self, setting: Setting) {
        let changed = {
            let mut config = self.config.borrow_mut();
            let (field, value) = match setting {
                Setting::EndpointRealtime(value) => (&mut config.endpoint_realtime, value),
                Setting::Project(value) => (&mut config.project, value),
                Setting::Session(value) => (config.session.get_or_insert_default(), value),
                Setting::Jwt(value) => (config.jwt.get_or_insert_default(), value),
            };
            let changed = *field != value;
            *field = value;
            // An empty session or JWT is none.
            config.session.take_if(|session| session.is_empty());
            config.jwt.take_if(|jwt| jwt.is_empty());
            changed
        };
        if changed {
            let listeners: Vec<Rc<dyn ConfigListener>> = self
                .listeners
                .borrow()
                .iter()
                .filter_map(Weak::upgrade)
                .collect();
            for listener in listeners {
                listener.config_changed();
            }
        }
    }
}

/// Where a connection reads its settings.
pub(crate) enum ClientSource {
    /// A Rust [`crate::Client`], which reports every change.
    Native(Rc<SharedConfig>),
    /// A JS client with the official SDK's `config` (its `Client`, or this package's
    /// `js/client.js`), read on every connect, subscription change and heartbeat, so its
    /// `setSession` is honoured too; this package's also says at once when it changed.
    Foreign(JsValue),
}

impl ClientSource {
    pub(crate) fn config(&self) -> ClientConfig {
        match self {
            ClientSource::Native(shared) => shared.config.borrow().clone(),
            ClientSource::Foreign(client) => {
                let mut fields = args::client_config(client).unwrap_or_default().into_iter();
                let mut next = || fields.next().unwrap_or_default();
                ClientConfig {
                    endpoint_realtime: next(),
                    project: next(),
                    session: Some(next()).filter(|session| !session.is_empty()),
                    jwt: Some(next()).filter(|jwt| !jwt.is_empty()),
                }
            }
        }
    }

    /// Whether changes are reported to registered listeners; if not, the settings must be read
    /// again whenever the connection acts.
    pub(crate) fn reports_changes(&self) -> bool {
        matches!(self, ClientSource::Native(_))
    }

    /// The JS client, whose `config` the driver watches (js/watch.js); `undefined`
    /// for a Rust client, which tells its listeners.
    pub(crate) fn js_client(&self) -> JsValue {
        match self {
            ClientSource::Native(_) => JsValue::UNDEFINED,
            ClientSource::Foreign(client) => client.clone(),
        }
    }

    /// Registers `listener` for changes where they are reported.
    pub(crate) fn register(&self, listener: Weak<dyn ConfigListener>) {
        if let ClientSource::Native(shared) = self {
            shared.register(listener);
        }
    }
}

/// How a connection times its checks and retries, and whether it shares its socket: the
/// options of `new Realtime(client, options)` in JS (in milliseconds there), of
/// [`Realtime::with_client`](crate::Realtime::with_client) and of
/// [`Connection::with_options`](crate::typed::Connection::with_options).
///
/// ```
/// use std::time::Duration;
/// use appwrite_realtime_wasm::Options;
///
/// let options = Options { heartbeat_interval: Duration::from_secs(5), ..Options::default() };
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Time between pings once connected (default 20 s).
    pub heartbeat_interval: Duration,
    /// Time to wait for a pong before the socket is replaced (default 10 s).
    pub pong_timeout: Duration,
    /// Bound of the first reconnect delay; it doubles per failed attempt (default 1 s).
    pub reconnect_delay: Duration,
    /// Cap of the reconnect delay's bound (default 30 s).
    pub max_reconnect_delay: Duration,
    /// A page hidden this long closes its socket until shown again (default: never).
    pub hidden_timeout: Option<Duration>,
    /// Share one socket with the origin's other tabs of the same endpoint, project and
    /// credentials, where the browser can (Web Locks, BroadcastChannel, a secure context);
    /// default: yes.
    pub share_across_tabs: bool,
}

impl Default for Options {
    fn default() -> Self {
        let defaults = Config::default();
        Options {
            heartbeat_interval: defaults.ping_interval,
            pong_timeout: defaults.pong_timeout,
            reconnect_delay: defaults.backoff_initial,
            max_reconnect_delay: defaults.backoff_max,
            hidden_timeout: defaults.hidden_timeout,
            share_across_tabs: true,
        }
    }
}

impl Options {
    /// These options, or an `invalid` error naming the first duration that is zero (a zero
    /// heartbeat would ping without pause).
    pub(crate) fn checked(self) -> Result<Options, RealtimeError> {
        let durations = [
            ("heartbeat_interval", Some(self.heartbeat_interval)),
            ("pong_timeout", Some(self.pong_timeout)),
            ("reconnect_delay", Some(self.reconnect_delay)),
            ("max_reconnect_delay", Some(self.max_reconnect_delay)),
            ("hidden_timeout", self.hidden_timeout),
        ];
        match durations
            .iter()
            .find(|(_, value)| *value == Some(Duration::ZERO))
        {
            Some((name, _)) => Err(RealtimeError::invalid(&format!(
                "{name} must be a positive duration"
            ))),
            None => Ok(self),
        }
    }

    // Not inlined into the constructor's shim, its one caller: there the .wasm gzips 15 B larger.
    #[inline(never)]
    pub(crate) fn from_js(options: &JsValue) -> Result<Self, RealtimeError> {
        let read = args::realtime_options(options);
        if let Some(message) = read.as_string() {
            return Err(RealtimeError::invalid(&message));
        }
        let read: &js_sys::Array = read.unchecked_ref();
        let millis = |index| {
            read.get(index)
                .as_f64()
                .filter(|ms| *ms > 0.0)
                .map(|ms| Duration::from_millis(ms as u64))
        };
        let defaults = Options::default();
        Ok(Options {
            heartbeat_interval: millis(0).unwrap_or(defaults.heartbeat_interval),
            pong_timeout: millis(1).unwrap_or(defaults.pong_timeout),
            reconnect_delay: millis(2).unwrap_or(defaults.reconnect_delay),
            max_reconnect_delay: millis(3).unwrap_or(defaults.max_reconnect_delay),
            hidden_timeout: millis(4),
            share_across_tabs: read.get(5).is_truthy(),
        })
    }

    pub(crate) fn core_config(&self, jitter_seed: u64, id_prefix: String) -> Config {
        Config {
            ping_interval: self.heartbeat_interval,
            pong_timeout: self.pong_timeout,
            backoff_initial: self.reconnect_delay,
            backoff_max: self.max_reconnect_delay,
            hidden_timeout: self.hidden_timeout,
            jitter_seed,
            id_prefix: Some(id_prefix),
            ..Config::default()
        }
    }
}
