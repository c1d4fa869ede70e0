//! Forms that change something (feedback, "run now", saved searches) are protected against
//! cross-site requests twice: a random token kept in a `SameSite=Strict` cookie must come back in
//! the form (double submit), and a browser's `Origin`, when sent, must be this host.

use axum::http::{HeaderMap, HeaderValue, header};

/// The cookie that holds this browser's token.
pub const COOKIE: &str = "tr_csrf";

/// This browser's token, and the `Set-Cookie` header to send when it had none.
pub fn token(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    if let Some(t) = cookie(headers, COOKIE).filter(|t| valid(t)) {
        return (t, None);
    }
    let mut b = [0u8; 16];
    // Without the OS's randomness no token can be made: the form will be refused, not forged.
    let t = if getrandom::fill(&mut b).is_ok() {
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    } else {
        String::new()
    };
    let set =
        HeaderValue::from_str(&format!("{COOKIE}={t}; Path=/; SameSite=Strict; HttpOnly")).ok();
    (t, set)
}

fn valid(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A cookie's value.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether a form post carries this browser's token and comes from this site.
pub fn check(headers: &HeaderMap, form_token: &str) -> Result<(), &'static str> {
    let Some(expected) = cookie(headers, COOKIE).filter(|t| valid(t)) else {
        return Err("the form has expired (no CSRF cookie): reload the page and try again");
    };
    if !constant_eq(expected.as_bytes(), form_token.as_bytes()) {
        return Err("the form's CSRF token does not match: reload the page and try again");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
        && origin != "null"
    {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
        if origin_host != host {
            return Err("cross-site form posts are refused");
        }
    }
    Ok(())
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where to go after a form: a path on this site (never another site: no open redirects).
pub fn back(to: Option<&str>) -> String {
    match to {
        Some(t) if t.starts_with('/') && !t.starts_with("//") && !t.contains('\\') => t.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn tokens_must_match_and_come_from_this_site() {
        let (t, set) = token(&HeaderMap::new());
        assert!(valid(&t) && set.is_some());
        let cookie = format!("a=1; {COOKIE}={t}");
        let h = headers(&[("cookie", &cookie), ("host", "radar.local:8080")]);
        assert_eq!(token(&h), (t.clone(), None), "kept");
        assert!(check(&h, &t).is_ok());
        assert!(check(&h, "0123456789abcdef0123456789abcdef").is_err());
        assert!(check(&headers(&[("host", "x")]), &t).is_err(), "no cookie");
        let evil = headers(&[
            ("cookie", &cookie),
            ("host", "radar.local:8080"),
            ("origin", "https://evil.example"),
        ]);
        assert!(check(&evil, &t).is_err());
        let same = headers(&[
            ("cookie", &cookie),
            ("host", "radar.local:8080"),
            ("origin", "http://radar.local:8080"),
        ]);
        assert!(check(&same, &t).is_ok());
        assert_eq!(back(Some("//evil.example/x")), "/");
        assert_eq!(back(Some("https://evil.example")), "/");
        assert_eq!(back(Some("/?band=hot&page=2")), "/?band=hot&page=2");
    }
}
