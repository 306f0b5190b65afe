//! `Client`: endpoint, project and credentials, shaped like the official SDK's client, with the
//! legacy `client.subscribe(channels, callback)`.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::args;
use crate::config::{ClientConfig, ClientSource, RealtimeOptions, Setting, SharedConfig};
use crate::driver::{Callback, Driver};
use crate::error::RealtimeError;
use crate::subscription::unsubscribe_function;

/// Holds the endpoint, project and credentials. Setters return the client for chaining; the
/// returned object shares its settings with the original, so a later change reaches every
/// connection built from either.
///
/// ```no_run
/// use appwrite_realtime_wasm::{typed::Connection, Client, RealtimeError};
///
/// fn connect(session: &str) -> Result<Connection, RealtimeError> {
///     let client = Client::new()
///         .set_endpoint("https://cloud.appwrite.io/v1")?
///         .set_project("my-project");
///     let connection = Connection::new(&client);
///     // Signing in later re-authenticates the open socket in-band.
///     client.set_session(session);
///     Ok(connection)
/// }
/// ```
#[wasm_bindgen(skip_typescript)]
#[derive(Clone)]
pub struct Client {
    state: Rc<ClientState>,
}

/// What a client and the copies its setters return share.
struct ClientState {
    settings: Rc<SharedConfig>,
    /// The connection behind the legacy `client.subscribe`, created on first use.
    legacy: RefCell<Option<Rc<Driver>>>,
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
        self.state.settings.set(Setting::EndpointRealtime(realtime));
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
        self.state
            .settings
            .set(Setting::EndpointRealtime(endpoint.into()));
        Ok(self.clone())
    }

    /// The project id; every connection built from this client uses it.
    pub fn set_project(&self, project: &str) -> Client {
        self.state.settings.set(Setting::Project(project.into()));
        self.clone()
    }

    /// The session secret (base64 of `{"id","secret"}`). While connected, the connection
    /// re-authenticates in-band, without a new socket. `""` signs out.
    pub fn set_session(&self, session: &str) -> Client {
        self.state.settings.set(Setting::Session(session.into()));
        self.clone()
    }

    /// An account JWT, sent in the socket URL (`?jwt=`) on the next connection. `""` clears it.
    pub fn set_jwt(&self, jwt: &str) -> Client {
        self.state.settings.set(Setting::Jwt(jwt.into()));
        self.clone()
    }

    /// The settings connections built from this client read.
    pub(crate) fn settings(&self) -> Rc<SharedConfig> {
        self.state.settings.clone()
    }

    fn legacy_driver(&self) -> Rc<Driver> {
        let mut legacy = self.state.legacy.borrow_mut();
        legacy
            .get_or_insert_with(|| {
                let source = ClientSource::Native(self.settings());
                Driver::new(source, RealtimeOptions::default())
            })
            .clone()
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
    /// A client for Appwrite Cloud (`https://cloud.appwrite.io/v1`) with no project yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Client {
        Client {
            state: Rc::new(ClientState {
                settings: SharedConfig::new(ClientConfig {
                    endpoint_realtime: "wss://cloud.appwrite.io/v1".into(),
                    ..ClientConfig::default()
                }),
                legacy: RefCell::default(),
            }),
        }
    }

    /// This client's registry slot, by which `new Realtime(client)` recognises it.
    #[wasm_bindgen(getter = __appwriteRealtimeClient)]
    pub fn slot(&self) -> u32 {
        self.state.settings.slot
    }

    /// `setEndpoint`: see [`Client::set_endpoint`]; anything but a non-empty string is refused.
    #[wasm_bindgen(js_name = setEndpoint)]
    pub fn set_endpoint_js(&self, endpoint: JsValue) -> Result<Client, RealtimeError> {
        self.set_endpoint(&endpoint_arg(&endpoint)?)
    }

    /// `setEndpointRealtime`: see [`Client::set_endpoint_realtime`].
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

    /// `setSession`: see [`Client::set_session`]; `undefined` or `null` signs out.
    #[wasm_bindgen(js_name = setSession)]
    pub fn set_session_js(&self, session: JsValue) -> Result<Client, RealtimeError> {
        let session = args::optional_setting(&session, "Session must be a string")?;
        Ok(self.set_session(session.as_deref().unwrap_or_default()))
    }

    /// `setJWT`: see [`Client::set_jwt`]; `undefined` or `null` clears it.
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
        let callback = args::function(callback, args::CALLBACK_REFUSED)?;
        let queries = args::queries(&queries)?;
        let driver = self.legacy_driver();
        let key = driver.subscribe(channels, queries, Callback::Js(callback))?;
        driver.commit(key, None);
        Ok(unsubscribe_function(driver.reference(key)))
    }
}
