//! Language of a text, restricted to the two we have rules for (STACK trap 10: short strings fool
//! detectors, so the script decides when the detector is unsure).

use crate::model::Lang;
use crate::text::cyrillic_share;
use std::sync::LazyLock;

/// Built once: detection runs for every document.
static DETECTOR: LazyLock<whatlang::Detector> = LazyLock::new(|| {
    whatlang::Detector::with_allowlist(vec![whatlang::Lang::Eng, whatlang::Lang::Rus])
});

/// Russian or English. Script first (Cyrillic share), then whatlang for Latin text, then the hint.
pub fn detect(text: &str, hint: Option<Lang>) -> Lang {
    let share = cyrillic_share(text);
    if share >= 0.3 {
        return Lang::Ru;
    }
    if share == 0.0 && !text.chars().any(char::is_alphabetic) {
        return hint.unwrap_or(Lang::En);
    }
    match DETECTOR.detect(text) {
        Some(info) if info.is_reliable() => match info.lang() {
            whatlang::Lang::Rus => Lang::Ru,
            _ => Lang::En,
        },
        // Latin script and no reliable answer: English unless the source says otherwise.
        _ => hint.filter(|_| share > 0.05).unwrap_or(Lang::En),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_decides() {
        assert_eq!(detect("Компания открыла завод", None), Lang::Ru);
        assert_eq!(detect("Acme Corp", Some(Lang::Ru)), Lang::En);
        assert_eq!(
            detect("The company opened a new plant in Ohio", None),
            Lang::En
        );
    }
}
