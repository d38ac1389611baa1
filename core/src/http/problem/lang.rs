//! The language of a problem's human text (docs/api.md).

use std::future::Future;

use axum::http::{HeaderMap, header};

/// The language of human text: Japanese unless the client prefers English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

tokio::task_local! {
    /// The language the request being answered asked for (set by the edge layer).
    static ASKED: Lang;
}

impl Lang {
    /// The language of the request this task answers; Japanese outside one.
    pub fn asked() -> Self {
        ASKED.try_with(|lang| *lang).unwrap_or(Lang::Ja)
    }

    /// Runs `work` as answering a request that asked for this language.
    pub(in crate::http) async fn scope<F: Future>(self, work: F) -> F::Output {
        ASKED.scope(self, work).await
    }

    /// Reads `Accept-Language`: English only when an `en` tag outranks every `ja` tag.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::Ja;
        };
        let (mut en, mut ja) = (0.0_f32, 0.0_f32);
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            match primary {
                "en" => en = en.max(q),
                "ja" => ja = ja.max(q),
                _ => {}
            }
        }
        if en > ja { Lang::En } else { Lang::Ja }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn lang(value: &str) -> Lang {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(value).unwrap(),
        );
        Lang::from_headers(&headers)
    }

    #[test]
    fn english_only_when_preferred_over_japanese() {
        assert_eq!(lang("en"), Lang::En);
        assert_eq!(lang("en-US,en;q=0.9"), Lang::En);
        assert_eq!(lang("ja,en;q=0.8"), Lang::Ja);
        assert_eq!(lang("en;q=0.5, ja;q=0.9"), Lang::Ja);
        assert_eq!(lang("fr"), Lang::Ja);
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Ja);
    }
}
