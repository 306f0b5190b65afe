//! `Client`: endpoint, project and credentials, shaped like the official SDK's client.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::driver::Driver;
use crate::error::RealtimeError;
use crate::realtime::{channel_list, query_list, RealtimeOptions};

/// Connection settings, shared by the client and every `Realtime` built from it, so that later
/// `setSession`/`setJWT`/`setEndpoint` calls reach live connections.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ClientConfig {
    pub(crate) endpoint: String,
    pub(crate) endpoint_realtime: String,
    pub(crate) project: String,
    pub(crate) session: Option<String>,
    pub(crate) jwt: Option<String>,
}

pub(crate) struct ClientShared {
    pub(crate) config: RefCell<ClientConfig>,
    drivers: RefCell<Vec<Weak<Driver>>>,
    /// The connection behind the legacy `client.subscribe`, created on first use.
    legacy: RefCell<Option<Rc<Driver>>>,
}

impl ClientShared {
    pub(crate) fn register(&self, driver: &Rc<Driver>) {
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

/// Holds the endpoint, project and credentials. Setters return the client for chaining; the
/// returned object shares its settings with the original.
#[wasm_bindgen]
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Rc<ClientShared>,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

#[wasm_bindgen]
impl Client {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Client {
        let config = ClientConfig {
            endpoint: "https://cloud.appwrite.io/v1".into(),
            endpoint_realtime: "wss://cloud.appwrite.io/v1".into(),
            ..ClientConfig::default()
        };
        Client {
            shared: Rc::new(ClientShared {
                config: RefCell::new(config),
                drivers: RefCell::new(Vec::new()),
                legacy: RefCell::new(None),
            }),
        }
    }

    /// Sets the REST endpoint (`http://` or `https://`) and derives the realtime one from it.
    #[wasm_bindgen(js_name = setEndpoint)]
    pub fn set_endpoint(&self, endpoint: &str) -> Result<Client, RealtimeError> {
        if endpoint.is_empty() {
            return Err(RealtimeError::invalid("Endpoint must be a valid string"));
        }
        let realtime = if let Some(rest) = endpoint.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = endpoint.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            return Err(RealtimeError::invalid(&format!(
                "Invalid endpoint URL: {endpoint}"
            )));
        };
        self.shared.change(|config| {
            config.endpoint = endpoint.into();
            config.endpoint_realtime = realtime;
        });
        Ok(self.clone())
    }

    /// Sets the realtime endpoint (`ws://` or `wss://`) when it differs from the REST one.
    #[wasm_bindgen(js_name = setEndpointRealtime)]
    pub fn set_endpoint_realtime(&self, endpoint: &str) -> Result<Client, RealtimeError> {
        if endpoint.is_empty() {
            return Err(RealtimeError::invalid("Endpoint must be a valid string"));
        }
        if !endpoint.starts_with("ws://") && !endpoint.starts_with("wss://") {
            return Err(RealtimeError::invalid(&format!(
                "Invalid realtime endpoint URL: {endpoint}"
            )));
        }
        self.shared
            .change(|config| config.endpoint_realtime = endpoint.into());
        Ok(self.clone())
    }

    #[wasm_bindgen(js_name = setProject)]
    pub fn set_project(&self, project: &str) -> Client {
        self.shared.change(|config| config.project = project.into());
        self.clone()
    }

    /// The session secret (base64 of `{"id","secret"}`). While connected, the connection
    /// re-authenticates in-band, without a new socket.
    #[wasm_bindgen(js_name = setSession)]
    pub fn set_session(&self, session: &str) -> Client {
        let session = (!session.is_empty()).then(|| session.to_string());
        self.shared.change(|config| config.session = session);
        self.clone()
    }

    /// An account JWT, sent in the socket URL (`?jwt=`) on the next connection.
    #[wasm_bindgen(js_name = setJWT)]
    pub fn set_jwt(&self, jwt: &str) -> Client {
        let jwt = (!jwt.is_empty()).then(|| jwt.to_string());
        self.shared.change(|config| config.jwt = jwt);
        self.clone()
    }

    /// The legacy subscription API: returns a function that unsubscribes. Failures are reported
    /// on the console, as there is no promise to reject.
    #[wasm_bindgen(skip_typescript)]
    pub fn subscribe(
        &self,
        channels: JsValue,
        callback: Function,
        queries: Option<js_sys::Array>,
    ) -> Result<Function, RealtimeError> {
        let channels = channel_list(&channels)?;
        let queries = query_list(queries.as_ref())?;
        let driver = self.legacy_driver();
        let handle = driver.subscribe_legacy(channels, queries, callback)?;
        Ok(crate::realtime::unsubscribe_function(handle))
    }
}

impl Client {
    fn legacy_driver(&self) -> Rc<Driver> {
        if let Some(driver) = self.shared.legacy.borrow().as_ref() {
            return driver.clone();
        }
        let driver = Driver::new(self.shared.clone(), RealtimeOptions::default());
        *self.shared.legacy.borrow_mut() = Some(driver.clone());
        driver
    }
}
