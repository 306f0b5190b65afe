//! The session cookie's name, and reading one cookie from a request's `Cookie` headers, for the
//! REST API and the realtime handshake alike.

use axum::http::{header, HeaderMap};

/// The name of a project's session cookie, `a_session_<project>`.
pub(crate) fn session_cookie_name(project: &str) -> String {
    ["a_session_", project].concat()
}

/// The value of cookie `name`, decoded as PHP fills `$_COOKIE` (`%XX` and `+`); the first
/// one wins when a request carries the name twice.
pub(crate) fn request_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| crate::php_query::percent_decode(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(header::COOKIE, HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    #[test]
    fn finds_a_cookie_in_any_cookie_header() {
        let request = headers(&["theme=dark; a_session_p_legacy=old", "a_session_p=new%3D+x"]);
        assert_eq!(
            request_cookie(&request, "a_session_p").as_deref(),
            Some("new= x")
        );
        assert_eq!(
            request_cookie(&request, "a_session_p_legacy").as_deref(),
            Some("old")
        );
        assert_eq!(request_cookie(&request, "theme").as_deref(), Some("dark"));
    }

    #[test]
    fn first_of_repeated_names_wins_and_missing_names_are_none() {
        let request = headers(&["flag; a=1;a=2"]);
        assert_eq!(request_cookie(&request, "a").as_deref(), Some("1"));
        assert_eq!(request_cookie(&request, "flag"), None);
        assert_eq!(request_cookie(&request, "b"), None);
        assert_eq!(request_cookie(&HeaderMap::new(), "a"), None);
    }
}
