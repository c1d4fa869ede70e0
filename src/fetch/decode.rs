//! Bytes to UTF-8, exactly once, in one place (STACK trap 2): per-source override → HTTP charset →
//! BOM → XML prolog / `<meta charset>` → detection. Parsers downstream only ever see UTF-8, and the
//! XML prolog is rewritten to say so.

use encoding_rs::Encoding;
use std::borrow::Cow;

/// Text decoded to UTF-8 and how its encoding was chosen.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    /// The encoding's WHATWG name, e.g. "windows-1251".
    pub encoding: &'static str,
    /// Where the choice came from: "override", "http", "bom", "declared", "utf-8", "detected".
    pub how: &'static str,
    /// True when some bytes could not be decoded and were replaced.
    pub had_errors: bool,
}

/// The charset parameter of a Content-Type header.
pub fn charset_from_content_type(ct: &str) -> Option<&str> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// The encoding an XML prolog or an HTML `<meta>` in the first 1 KiB declares.
fn declared_in_document(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let after = |marker: &str| -> Option<String> {
        let i = head.find(marker)? + marker.len();
        let rest = head[i..].trim_start_matches(['"', '\'', ' ', '=']);
        let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
        Some(rest[..end].to_string())
    };
    if head.trim_start().starts_with("<?xml")
        && let Some(label) = after("encoding=")
    {
        return Encoding::for_label(label.as_bytes());
    }
    if let Some(label) = after("charset=") {
        return Encoding::for_label(label.as_bytes());
    }
    None
}

/// Decodes `bytes` to UTF-8. `content_type` is the HTTP header when there was one; `override_label`
/// comes from the source definition and wins over everything.
pub fn decode(bytes: &[u8], content_type: Option<&str>, override_label: Option<&str>) -> Decoded {
    if let Some(enc) = override_label.and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
        return finish(bytes, enc, "override");
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let mut d = finish(&bytes[bom_len..], enc, "bom");
        d.how = "bom";
        return d;
    }
    let utf8_ok = std::str::from_utf8(bytes).is_ok();
    let has_non_ascii = bytes.iter().any(|b| *b >= 0x80);
    if let Some(enc) = content_type
        .and_then(charset_from_content_type)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
    {
        return finish_trusting_utf8(bytes, enc, "http", utf8_ok && has_non_ascii);
    }
    if let Some(enc) = declared_in_document(bytes) {
        return finish_trusting_utf8(bytes, enc, "declared", utf8_ok && has_non_ascii);
    }
    if utf8_ok {
        return finish(bytes, encoding_rs::UTF_8, "utf-8");
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    // The `ru` hint tips close calls toward windows-1251, the commonest legacy charset we meet.
    let enc = det.guess(Some(b"ru"), chardetng::Utf8Detection::Allow);
    finish(bytes, enc, "detected")
}

/// A declaration that names a legacy single-byte charset is overruled by bytes that are valid,
/// non-ASCII UTF-8: Cyrillic in windows-1251 or KOI8-R is practically never valid UTF-8, while
/// UTF-8 feeds with a copy-pasted wrong prolog are common.
fn finish_trusting_utf8(
    bytes: &[u8],
    enc: &'static Encoding,
    how: &'static str,
    utf8: bool,
) -> Decoded {
    if utf8 && enc != encoding_rs::UTF_8 {
        return finish(bytes, encoding_rs::UTF_8, "utf-8");
    }
    finish(bytes, enc, how)
}

fn finish(bytes: &[u8], enc: &'static Encoding, how: &'static str) -> Decoded {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: enc.name(),
        how,
        had_errors,
    }
}

/// Rewrites the XML prolog's `encoding="…"` to UTF-8, because the text now is UTF-8 and XML parsers
/// trust the prolog over the bytes.
pub fn fix_xml_prolog(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if !trimmed.starts_with("<?xml") {
        return Cow::Borrowed(text);
    }
    let Some(end) = trimmed.find("?>") else {
        return Cow::Borrowed(text);
    };
    let prolog = &trimmed[..end];
    let lower = prolog.to_ascii_lowercase();
    let Some(i) = lower.find("encoding") else {
        return Cow::Borrowed(text);
    };
    let rest = &prolog[i..];
    let Some(q1) = rest.find(['"', '\'']) else {
        return Cow::Borrowed(text);
    };
    let quote = rest.as_bytes()[q1] as char;
    let Some(q2) = rest[q1 + 1..].find(quote) else {
        return Cow::Borrowed(text);
    };
    let fixed = format!(
        "{}encoding=\"UTF-8\"{}{}",
        &prolog[..i],
        &rest[q1 + 1 + q2 + 1..],
        &trimmed[end..]
    );
    Cow::Owned(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1251_from_prolog() {
        let xml = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss><t>Завод</t></rss>";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(xml);
        let d = decode(&bytes, None, None);
        assert_eq!(d.encoding, "windows-1251");
        assert!(d.text.contains("Завод"));
        assert!(fix_xml_prolog(&d.text).starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    }

    #[test]
    fn utf8_feed_with_lying_prolog_stays_utf8() {
        let xml = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss><t>Завод</t></rss>";
        let d = decode(xml.as_bytes(), None, None);
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.contains("Завод"));
    }

    #[test]
    fn undeclared_1251_is_detected() {
        let text = "<rss><title>Компания открыла новый завод в Челябинской области и наняла сотрудников</title></rss>";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let d = decode(&bytes, None, None);
        assert_eq!(d.how, "detected");
        assert!(d.text.contains("новый завод"), "{}", d.text);
    }

    #[test]
    fn http_header_and_koi8() {
        let (bytes, _, _) = encoding_rs::KOI8_R.encode("Привет, мир");
        let d = decode(&bytes, Some("text/xml; charset=\"koi8-r\""), None);
        assert_eq!(d.text, "Привет, мир");
        assert_eq!(d.how, "http");
    }

    #[test]
    fn override_wins() {
        let (bytes, _, _) = encoding_rs::KOI8_R.encode("Привет");
        let d = decode(
            &bytes,
            Some("text/xml; charset=windows-1251"),
            Some("koi8-r"),
        );
        assert_eq!(d.text, "Привет");
    }
}
