//! Russian company identifiers with their check digits, and domains.

/// Why an identifier is not valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IdError {
    #[error("INN {0} must have 10 (company) or 12 (person) digits")]
    InnLength(String),
    #[error("INN {0} fails its checksum")]
    InnChecksum(String),
    #[error("OGRN {0} must have 13 (OGRN) or 15 (OGRNIP) digits")]
    OgrnLength(String),
    #[error("OGRN {0} fails its checksum")]
    OgrnChecksum(String),
    #[error("domain `{0}` is not a valid domain name")]
    Domain(String),
}

fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn weighted(d: &[u32], w: &[u32]) -> u32 {
    d.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11 % 10
}

/// Checks an INN (10 digits for organisations, 12 for individuals) and returns it trimmed.
pub fn validate_inn(raw: &str) -> Result<String, IdError> {
    let s = raw.trim().to_string();
    let d = digits(&s).ok_or_else(|| IdError::InnLength(s.clone()))?;
    let ok = match d.len() {
        10 => weighted(&d, &[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9],
        12 => {
            weighted(&d, &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
                && weighted(&d, &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
        }
        _ => return Err(IdError::InnLength(s)),
    };
    if ok {
        Ok(s)
    } else {
        Err(IdError::InnChecksum(s))
    }
}

/// Checks an OGRN (13 digits) or OGRNIP (15 digits) and returns it trimmed.
pub fn validate_ogrn(raw: &str) -> Result<String, IdError> {
    let s = raw.trim().to_string();
    if digits(&s).is_none() {
        return Err(IdError::OgrnLength(s));
    }
    let (body, check, modulus) = match s.len() {
        13 => (&s[..12], &s[12..], 11u64),
        15 => (&s[..14], &s[14..], 13u64),
        _ => return Err(IdError::OgrnLength(s)),
    };
    let n: u64 = body.parse().map_err(|_| IdError::OgrnLength(s.clone()))?;
    let expected = (n % modulus % 10).to_string();
    if expected == check {
        Ok(s)
    } else {
        Err(IdError::OgrnChecksum(s))
    }
}

/// Normalises a domain or URL to its lowercase host without `www.`.
pub fn normalize_domain(raw: &str) -> Result<String, IdError> {
    let mut s = raw.trim().to_lowercase();
    for p in ["https://", "http://"] {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest.to_string();
        }
    }
    let s = s
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('.');
    let s = s.strip_prefix("www.").unwrap_or(s).to_string();
    let labels: Vec<&str> = s.split('.').collect();
    let ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if ok {
        Ok(s)
    } else {
        Err(IdError::Domain(raw.trim().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inn_checksums() {
        assert!(validate_inn("7707083893").is_ok()); // a well-known valid company INN
        assert_eq!(
            validate_inn("7707083894"),
            Err(IdError::InnChecksum("7707083894".into()))
        );
        assert!(validate_inn("500100732259").is_ok());
        assert!(matches!(validate_inn("12345"), Err(IdError::InnLength(_))));
        assert!(matches!(
            validate_inn("77070838a3"),
            Err(IdError::InnLength(_))
        ));
    }

    #[test]
    fn ogrn_checksums() {
        assert!(validate_ogrn("1027700132195").is_ok());
        assert!(matches!(
            validate_ogrn("1027700132194"),
            Err(IdError::OgrnChecksum(_))
        ));
        assert!(matches!(validate_ogrn("123"), Err(IdError::OgrnLength(_))));
    }

    #[test]
    fn domains() {
        assert_eq!(
            normalize_domain("https://www.Acme.com/about").unwrap(),
            "acme.com"
        );
        assert_eq!(normalize_domain("ромашка.рф").unwrap(), "ромашка.рф");
        assert!(normalize_domain("not a domain").is_err());
        assert!(normalize_domain("localhost").is_err());
    }
}
