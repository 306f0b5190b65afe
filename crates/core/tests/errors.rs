//! Every public error is a `std::error::Error`, so callers can `?` it into a boxed error.

use appwrite_realtime_core::channel::ChannelError;
use appwrite_realtime_core::query::{NestedQueryError, QueryError};
use appwrite_realtime_core::{
    Config, ConnectionError, Engine, ErrorKind, FrameError, Instant, PresenceError, SubscribeError,
    SubscriptionKey, UpdateError,
};
use std::error::Error;

fn is_std_error<E: Error + Send + Sync + 'static>() {}

#[test]
fn every_public_error_is_a_std_error() {
    is_std_error::<ConnectionError>();
    is_std_error::<SubscribeError>();
    is_std_error::<UpdateError>();
    is_std_error::<PresenceError>();
    is_std_error::<FrameError>();
    is_std_error::<QueryError>();
    is_std_error::<NestedQueryError>();
    is_std_error::<ChannelError>();
}

#[test]
fn errors_travel_as_boxed_std_errors() {
    fn subscribe_without_project() -> Result<SubscriptionKey, Box<dyn Error>> {
        let mut engine = Engine::<()>::new(Config::default());
        Ok(engine.subscribe(Instant(0), vec!["files".into()], Vec::new())?)
    }
    let refused = subscribe_without_project().expect_err("no project was set");
    assert_eq!(
        refused.to_string(),
        "Project is required: call setProject() first"
    );

    let boxed: Box<dyn Error> = Box::new(ConnectionError {
        code: 1008,
        message: "Missing channels".into(),
        kind: ErrorKind::Server,
    });
    assert_eq!(boxed.to_string(), "Missing channels (code 1008)");
}
