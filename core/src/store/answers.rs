//! Answers made from one session view, kept with it (`README.md` beside this module, its
//! redb part).
//!
//! What `GET /v1/usage` and `GET /v1/services` answer is a function of the view (the member
//! and their serials) and one input more: the day in Japan for usage, the catalogue for
//! services. A view the store keeps in memory (redb's, `redb/views.rs`) is immutable and is
//! replaced, never changed, when a write touches its member; so the bytes made from it stay
//! right for as long as the view is kept, and the member's next read copies them instead of
//! building and serialising the answer again. A view nothing keeps (DynamoDB's, every
//! time) has no place for answers: its answer is made, with no bookkeeping.
//!
//! The views are bounded by their count; the answers kept with them by their bytes, all
//! together (`MOST_ANSWER_BYTES`): one answer of a member with many serials is long, and a
//! member with several sessions keeps one per session.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use jiff::civil::Date;

use crate::domain::catalogue::CatalogueEntry;

/// The most bytes the kept answers of every view hold together; past it an answer is made
/// and answered, not kept.
const MOST_ANSWER_BYTES: usize = 32 << 20;

/// The bytes every kept answer holds now: added when one is kept, taken off when its view
/// is dropped.
static ANSWER_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Gives back `len` bytes of the budget.
fn give_back(len: usize) {
    ANSWER_BYTES.fetch_sub(len, Ordering::Relaxed);
}

/// Takes `len` bytes of the budget, if they are there.
fn take_budget(len: usize) -> bool {
    ANSWER_BYTES
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
            held.checked_add(len)
                .filter(|after| *after <= MOST_ANSWER_BYTES)
        })
        .is_ok()
}

/// The answers a view keeps.
#[derive(Debug, Default)]
pub struct ViewAnswers {
    /// The usage answer, and the day it was made for.
    pub usage: KeptAnswer<Date>,
    /// The services answer, and the catalogue it was made from.
    pub services: KeptAnswer<CatalogueVersion>,
}

/// One answer's bytes and the input beside the view they were made from. Filled once: a
/// view whose day or catalogue has passed is forgotten by its session's next refresh
/// (`Change::TouchSession`), made by the first request at least `session_touch_interval`
/// (a minute by default) after the session's `last_seen_at`. Until then a different input
/// makes the answer again without keeping it.
#[derive(Debug)]
pub struct KeptAnswer<K>(OnceLock<(K, Bytes)>);

impl<K> Default for KeptAnswer<K> {
    fn default() -> Self {
        Self(OnceLock::new())
    }
}

impl<K> Drop for KeptAnswer<K> {
    fn drop(&mut self) {
        if let Some((_, bytes)) = self.0.get() {
            give_back(bytes.len());
        }
    }
}

impl<K: PartialEq> KeptAnswer<K> {
    /// The bytes kept for `input`, or those `make` makes (kept if nothing is yet and the
    /// budget has room).
    pub fn get_or_make<E>(
        &self,
        input: K,
        make: impl FnOnce() -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        if let Some((kept_for, bytes)) = self.0.get() {
            if *kept_for == input {
                return Ok(bytes.clone());
            }
            return make();
        }
        let bytes = make()?;
        if take_budget(bytes.len()) {
            // Two requests making it at once both answer; the first one's bytes are kept,
            // and the other gives back what it took.
            if self.0.set((input, bytes.clone())).is_err() {
                give_back(bytes.len());
            }
        }
        Ok(bytes)
    }

    /// Whether an answer is kept.
    #[cfg(test)]
    fn is_kept(&self) -> bool {
        self.0.get().is_some()
    }
}

/// The bytes kept in `slot` for `input`, or those `make` makes; a view nothing keeps has no
/// slot, and its answer is made.
pub fn kept_or_made<K: PartialEq, E>(
    slot: Option<&KeptAnswer<K>>,
    input: K,
    make: impl FnOnce() -> Result<Bytes, E>,
) -> Result<Bytes, E> {
    match slot {
        Some(slot) => slot.get_or_make(input, make),
        None => make(),
    }
}

/// A catalogue as the store shares it, equal only to itself: the store replaces the shared
/// catalogue whenever an entry changes, and holding it here keeps its address from being
/// reused by another.
#[derive(Debug, Clone)]
pub struct CatalogueVersion(pub Arc<[CatalogueEntry]>);

impl PartialEq for CatalogueVersion {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    fn made(text: &'static str) -> impl FnOnce() -> Result<Bytes, Infallible> {
        move || Ok(Bytes::from_static(text.as_bytes()))
    }

    #[test]
    fn an_answer_is_kept_for_its_input_and_made_again_for_another() {
        let kept = KeptAnswer::default();
        let day = Date::constant(2026, 12, 7);
        assert_eq!(kept.get_or_make(day, made("first")).unwrap(), "first");
        assert_eq!(kept.get_or_make(day, made("second")).unwrap(), "first");
        let next = day.tomorrow().unwrap();
        assert_eq!(kept.get_or_make(next, made("third")).unwrap(), "third");
        assert_eq!(kept.get_or_make(day, made("fourth")).unwrap(), "first");
    }

    #[test]
    fn a_catalogue_equals_only_itself() {
        let one: Arc<[CatalogueEntry]> = Arc::from(Vec::new());
        let same_content: Arc<[CatalogueEntry]> = Arc::from(Vec::new());
        let version = CatalogueVersion(Arc::clone(&one));
        assert_eq!(version, CatalogueVersion(one));
        assert_ne!(version, CatalogueVersion(same_content));
    }

    #[test]
    fn past_the_budget_an_answer_is_made_but_not_kept() {
        // Other tests keep small answers meanwhile: this one's are a quarter of the budget.
        let long = Bytes::from(vec![b' '; MOST_ANSWER_BYTES / 4]);
        let day = Date::constant(2026, 12, 7);
        let answers: Vec<KeptAnswer<Date>> = (0..5).map(|_| KeptAnswer::default()).collect();
        for answer in &answers {
            let made = answer.get_or_make::<Infallible>(day, || Ok(long.clone()));
            assert_eq!(made.unwrap().len(), long.len());
        }
        let kept = answers.iter().filter(|a| a.is_kept()).count();
        assert!((3..=4).contains(&kept), "{kept} of 5 kept");
        drop(answers);
        // Dropped, they give their bytes back.
        let again = KeptAnswer::default();
        again
            .get_or_make::<Infallible>(day, || Ok(long.clone()))
            .unwrap();
        assert!(again.is_kept());
    }

    #[test]
    fn a_failed_make_keeps_nothing() {
        let kept = KeptAnswer::default();
        let day = Date::constant(2026, 12, 7);
        assert!(kept.get_or_make(day, || Err("broken")).is_err());
        assert_eq!(
            kept.get_or_make::<Infallible>(day, made("made")).unwrap(),
            "made"
        );
    }
}
