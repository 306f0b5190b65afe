//! `Client`: endpoint, project and credentials, shaped like the official SDK's client; and
//! [`ClientSource`], which lets a connection read its settings from this client or from the
//! official SDK's.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;

use crate::args;
use crate::driver::Driver;
use crate::error::RealtimeError;

/// Connection settings, shared by the client and every `Realtime` built from it, so that later
/// `setSession`/`setJWT`/`setEndpoint` calls reach live connections.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ClientConfig {
    pub(crate) endpoint_realtime: String,
    pub(crate) project: String,
    pub(crate) session: Option<String>,
    pub(crate) jwt: Option<String>,
}

pub(crate) struct ClientShared {
    config: RefCell<ClientConfig>,
    drivers: RefCell<Vec<Weak<Driver>>>,
    /// The connection behind the legacy `client.subscribe`, created on first use.
    legacy: RefCell<Option<Rc<Driver>>>,
    /// This client's place in [`NATIVE_CLIENTS`].
    slot: u32,
}

thread_local! {
    /// Every live `Client` of this module, so that `new Realtime(client)` can tell one of ours
    /// (whose changes it is told of at once) from the official SDK's (read when needed) without
    /// taking the JS object apart. A slot is reused once its client is gone.
    static NATIVE_CLIENTS: RefCell<Vec<Weak<ClientShared>>> = const { RefCell::new(Vec::new()) };
}

impl ClientShared {
    fn new(config: ClientConfig) -> Rc<ClientShared> {
        NATIVE_CLIENTS.with_borrow_mut(|clients| {
            let free = clients.iter().position(|client| client.strong_count() == 0);
            let slot = free.unwrap_or(clients.len());
            let shared = Rc::new(ClientShared {
                config: RefCell::new(config),
                drivers: RefCell::new(Vec::new()),
                legacy: RefCell::new(None),
                slot: slot as u32,
            });
            match clients.get_mut(slot) {
                Some(entry) => *entry = Rc::downgrade(&shared),
                None => clients.push(Rc::downgrade(&shared)),
            }
            shared
        })
    }

    fn register(&self, driver: &Rc<Driver>) {
        let mut drivers = self.drivers.borrow_mut();
        drivers.retain(|existing| existing.strong_count() > 0);
        drivers.push(Rc::downgrade(driver));
    }

    /// Applies a config change, then tells every live connection (outside the borrow: drivers
    /// call back into JS).
    fn change(&self, apply: impl FnOnce(&mut ClientConfig)) {
        let changed = {
            let mut config = self.config.borrow_mut();
            let before = config.clone();
            apply(&mut config);
            *config != before
        };
        if changed {
            let drivers: Vec<Rc<Driver>> = self
                .drivers
                .borrow()
                .iter()
                .filter_map(Weak::upgrade)
                .collect();
            for driver in drivers {
                driver.config_changed();
            }
        }
    }
}

/// Where a connection reads its settings.
pub(crate) enum ClientSource {
    /// A `Client` of this package, which reports every change.
    Native(Rc<ClientShared>),
    /// Any object with the official SDK's `config` (its `Client`), read on every connect,
    /// subscription change and heartbeat, so its `setSession` is honoured too.
    Foreign(JsValue),
}

impl ClientSource {
    pub(crate) fn from_js(client: &JsValue) -> Result<ClientSource, RealtimeError> {
        let slot = js_sys::Reflect::get(client, &JsValue::from_str(SLOT_PROPERTY))
            .ok()
            .and_then(|slot| slot.as_f64());
        let native = slot.and_then(|slot| {
            NATIVE_CLIENTS.with_borrow(|clients| clients.get(slot as usize)?.upgrade())
        });
        if let Some(shared) = native {
            return Ok(ClientSource::Native(shared));
        }
        if args::client_config(client).is_none() {
            return Err(RealtimeError::invalid(
                "Realtime needs a Client: this package's or the official appwrite SDK's",
            ));
        }
        Ok(ClientSource::Foreign(client.clone()))
    }

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

    /// Whether changes are reported (else the driver reads the settings again when it acts).
    pub(crate) fn register(&self, driver: &Rc<Driver>) {
        if let ClientSource::Native(shared) = self {
            shared.register(driver);
        }
    }
}

/// The hidden property by which a `Client` of this package names its [`NATIVE_CLIENTS`] slot.
const SLOT_PROPERTY: &str = "__appwriteRealtimeClient";

/// Holds the endpoint, project and credentials. Setters return the client for chaining; the
/// returned object shares its settings with the original.
#[wasm_bindgen(skip_typescript)]
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Rc<ClientShared>,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

/// The Rust API; JS calls the exports below, which coerce their arguments first.
impl Client {
    /// Sets the REST endpoint (`http://` or `https://`) and derives the realtime one from it.
    pub fn set_endpoint(&self, endpoint: &str) -> Result<Client, RealtimeError> {
        let realtime = if let Some(rest) = endpoint.strip_prefix("https://") {
            ["wss://", rest].concat()
        } else if let Some(rest) = endpoint.strip_prefix("http://") {
            ["ws://", rest].concat()
        } else {
            return Err(invalid_endpoint("Invalid endpoint URL: ", endpoint));
        };
        self.shared
            .change(|config| config.endpoint_realtime = realtime);
        Ok(self.clone())
    }

    /// Sets the realtime endpoint (`ws://` or `wss://`) when it differs from the REST one.
    pub fn set_endpoint_realtime(&self, endpoint: &str) -> Result<Client, RealtimeError> {
        if !endpoint.starts_with("ws://") && !endpoint.starts_with("wss://") {
            return Err(invalid_endpoint(
                "Invalid realtime endpoint URL: ",
                endpoint,
            ));
        }
        self.shared
            .change(|config| config.endpoint_realtime = endpoint.into());
        Ok(self.clone())
    }

    pub fn set_project(&self, project: &str) -> Client {
        self.shared.change(|config| config.project = project.into());
        self.clone()
    }

    /// The session secret (base64 of `{"id","secret"}`). While connected, the connection
    /// re-authenticates in-band, without a new socket. `""` signs out.
    pub fn set_session(&self, session: &str) -> Client {
        let session = (!session.is_empty()).then(|| session.to_string());
        self.shared.change(|config| config.session = session);
        self.clone()
    }

    /// An account JWT, sent in the socket URL (`?jwt=`) on the next connection. `""` clears it.
    pub fn set_jwt(&self, jwt: &str) -> Client {
        let jwt = (!jwt.is_empty()).then(|| jwt.to_string());
        self.shared.change(|config| config.jwt = jwt);
        self.clone()
    }

    pub(crate) fn legacy_driver(&self) -> Rc<Driver> {
        if let Some(driver) = self.shared.legacy.borrow().as_ref() {
            return driver.clone();
        }
        let source = ClientSource::Native(self.shared.clone());
        let driver = Driver::new(source, crate::realtime::RealtimeOptions::default());
        *self.shared.legacy.borrow_mut() = Some(driver.clone());
        driver
    }
}

fn invalid_endpoint(prefix: &str, endpoint: &str) -> RealtimeError {
    RealtimeError::invalid(&[prefix, endpoint].concat())
}

/// A non-empty string, or the official SDK's refusal.
fn endpoint_arg(endpoint: &JsValue) -> Result<String, RealtimeError> {
    const REFUSED: &str = "Endpoint must be a valid string";
    let endpoint = args::text(endpoint, REFUSED)?;
    if endpoint.is_empty() {
        return Err(RealtimeError::invalid(REFUSED));
    }
    Ok(endpoint)
}

#[wasm_bindgen]
impl Client {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Client {
        Client {
            shared: ClientShared::new(ClientConfig {
                endpoint_realtime: "wss://cloud.appwrite.io/v1".into(),
                ..ClientConfig::default()
            }),
        }
    }

    #[wasm_bindgen(getter = __appwriteRealtimeClient)]
    pub fn slot(&self) -> u32 {
        self.shared.slot
    }

    #[wasm_bindgen(js_name = setEndpoint)]
    pub fn set_endpoint_js(&self, endpoint: JsValue) -> Result<Client, RealtimeError> {
        self.set_endpoint(&endpoint_arg(&endpoint)?)
    }

    #[wasm_bindgen(js_name = setEndpointRealtime)]
    pub fn set_endpoint_realtime_js(&self, endpoint: JsValue) -> Result<Client, RealtimeError> {
        self.set_endpoint_realtime(&endpoint_arg(&endpoint)?)
    }

    /// Ids are coerced with `String()`; `undefined` or `null` clears the project, and the next
    /// subscription then fails with "Missing project ID", as in the official SDK.
    #[wasm_bindgen(js_name = setProject)]
    pub fn set_project_js(&self, project: JsValue) -> Result<Client, RealtimeError> {
        let project = args::optional_setting(&project, "Project ID must be a string")?;
        Ok(self.set_project(project.as_deref().unwrap_or_default()))
    }

    #[wasm_bindgen(js_name = setSession)]
    pub fn set_session_js(&self, session: JsValue) -> Result<Client, RealtimeError> {
        let session = args::optional_setting(&session, "Session must be a string")?;
        Ok(self.set_session(session.as_deref().unwrap_or_default()))
    }

    #[wasm_bindgen(js_name = setJWT)]
    pub fn set_jwt_js(&self, jwt: JsValue) -> Result<Client, RealtimeError> {
        let jwt = args::optional_setting(&jwt, "JWT must be a string")?;
        Ok(self.set_jwt(jwt.as_deref().unwrap_or_default()))
    }

    /// The legacy subscription API: returns a function that unsubscribes. Failures are reported
    /// on the console, as there is no promise to reject.
    #[wasm_bindgen(skip_typescript)]
    pub fn subscribe(
        &self,
        channels: JsValue,
        callback: JsValue,
        queries: JsValue,
    ) -> Result<js_sys::Function, RealtimeError> {
        let channels = args::channels(&channels)?;
        let callback = args::function(callback, CALLBACK_REFUSED)?;
        let queries = args::queries(&queries)?;
        let handle = self
            .legacy_driver()
            .subscribe_legacy(channels, queries, callback)?;
        Ok(crate::realtime::unsubscribe_function(handle))
    }
}

pub(crate) const CALLBACK_REFUSED: &str = "The callback must be a function";
