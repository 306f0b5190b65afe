//! A stop signal stops the emulator whatever became of its output: here its stderr pipe is
//! closed before SIGTERM, as when the program it logged to went first.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn sigterm_stops_the_emulator_after_its_stderr_was_closed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_appwrite-realtime-emulator"))
        .args(["--port", "0", "--verbose"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the emulator starts");
    let mut listening = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut listening)
        .expect("the listening line");
    assert!(listening.contains("127.0.0.1"), "{listening}");
    drop(child.stderr.take()); // its only reader gone: every write to stderr now fails

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let pid = child.id().to_string();
    let (exited, exit) = std::sync::mpsc::channel();
    std::thread::spawn(move || exited.send(child.wait()));
    match exit.recv_timeout(Duration::from_secs(10)) {
        Ok(status) => {
            let status = status.expect("the child can be waited for");
            assert!(status.success(), "a stop signal is a clean exit: {status}");
        }
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("still running 10 s after SIGTERM");
        }
    }
}
