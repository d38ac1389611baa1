//! Normalisation and the shape of a validation failure.

use unicode_normalization::UnicodeNormalization;

use super::field_code::FieldCode;

/// docs/api.md: Unicode NFKC (full-width → half-width), then trim.
pub fn normalise(input: &str) -> String {
    // ASCII is its own NFKC form. Most input is ASCII (every request's token carries a
    // customer ID), and the normalisation's tables cost more than the rest of its parse.
    if input.is_ascii() {
        return input.trim().to_owned();
    }
    input.nfkc().collect::<String>().trim().to_owned()
}

/// A field that must be given: its normalised value, or `required` when nothing is left.
pub fn required(input: &str) -> Result<String, FieldCode> {
    let value = normalise(input);
    if value.is_empty() {
        return Err(FieldCode::Required);
    }
    Ok(value)
}

pub fn has_control_character(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// One field's refusal, named by its JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: FieldCode,
}

/// Collects every field's refusal, so that one answer lists them all.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one field, remembering its failure; `None` means it failed.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, FieldCode>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(code) => {
                self.0.push(FieldError {
                    field: field.to_owned(),
                    code,
                });
                None
            }
        }
    }

    pub fn push(&mut self, field: &str, code: FieldCode) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value built from the checked fields when none was refused, or every refusal at
    /// once. `build` takes the fields' options apart with `?`; it runs only when all passed.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, FieldErrors> {
        if !self.is_empty() {
            return Err(self);
        }
        build().ok_or(self)
    }
}

/// A free-text value: normalised, 1..=max characters, no control characters.
pub fn bounded_text(input: &str, max_chars: usize) -> Result<String, FieldCode> {
    let value = required(input)?;
    if has_control_character(&value) {
        return Err(FieldCode::ForbiddenCharacter);
    }
    if value.chars().count() > max_chars {
        return Err(FieldCode::TooLong);
    }
    Ok(value)
}

/// A keyword from a fixed set (`"flets_next"`, `"term"`…), matched after normalisation and
/// lower-casing, through the type's own serde names.
pub fn keyword<T: serde::de::DeserializeOwned>(input: &str) -> Result<T, FieldCode> {
    let value = required(input)?.to_ascii_lowercase();
    serde_json::from_value(serde_json::Value::String(value)).map_err(|_| FieldCode::InvalidValue)
}

/// A keyword's text as serde names it (`"remote_support"`): the inverse of `keyword`.
pub fn keyword_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A calendar date written `YYYY-MM-DD`.
pub fn date(input: &str) -> Result<jiff::civil::Date, FieldCode> {
    let value = required(input)?;
    if value.len() != 10 {
        return Err(FieldCode::InvalidDate);
    }
    value.parse().map_err(|_| FieldCode::InvalidDate)
}

/// Declares a string newtype that serialises as its text and deserialises it as stored.
/// Requests never deserialise into these types: the HTTP edge takes text and calls `parse`.
/// What comes back from the store was valid when written, so it is read without the rules
/// of today, which may have been tightened since (a shorter name limit, a new forbidden
/// character): an old row must still read, not become a 500.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                String::schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use string_newtype;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_left_as_nfkc_leaves_it() {
        let every_ascii: String = (0u8..=127).map(char::from).collect();
        for input in [every_ascii.as_str(), " CAF1234567\t", "\u{b}a b\r\n", ""] {
            let nfkc: String = input.nfkc().collect();
            assert_eq!(normalise(input), nfkc.trim(), "{input:?}");
        }
    }

    #[test]
    fn full_width_becomes_half_width_and_edges_are_trimmed() {
        assert_eq!(normalise("  ＣＡＦ１２３ "), "CAF123");
        assert_eq!(required(" ＣＡＦ "), Ok("CAF".to_owned()));
        assert_eq!(required("\u{3000}"), Err(FieldCode::Required));
    }

    #[test]
    fn bounded_text_refuses_empty_long_and_control() {
        assert_eq!(bounded_text("   ", 5), Err(FieldCode::Required));
        assert_eq!(bounded_text("abcdef", 5), Err(FieldCode::TooLong));
        assert_eq!(
            bounded_text("a\u{7}b", 5),
            Err(FieldCode::ForbiddenCharacter)
        );
        assert_eq!(bounded_text(" 山田 ", 5).as_deref(), Ok("山田"));
    }

    #[test]
    fn finish_builds_only_when_no_field_was_refused() {
        let mut errors = FieldErrors::new();
        let short = errors.check("short", bounded_text("ok", 5));
        let long = errors.check("long", bounded_text("far too long", 5));
        let refused = errors.finish(|| Some((short?, long?))).unwrap_err();
        assert_eq!(
            refused.0,
            [FieldError {
                field: "long".to_owned(),
                code: FieldCode::TooLong
            }]
        );

        let mut errors = FieldErrors::new();
        let short = errors.check("short", bounded_text("ok", 5));
        errors.push("count", FieldCode::OutOfRange);
        assert_eq!(errors.finish(|| short).unwrap_err().0.len(), 1);

        let short = FieldErrors::new().check("short", bounded_text("ok", 5));
        assert_eq!(FieldErrors::new().finish(|| short).unwrap(), "ok");
    }
}
