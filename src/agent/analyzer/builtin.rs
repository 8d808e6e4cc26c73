//! The offline analyzer: reads the text of the content and of text-like attachments, and
//! lists the sentences that state something checkable (numbers, dates, quantities,
//! comparisons, named sources) as claims it cannot judge by itself. Deterministic.

use axum::body::Bytes;
use clara_aggregates::{Attachment, Claim, Verdict};

use super::extract::attachment_texts;
use super::{AnalysisFailed, Analyzer, Input, Judgement};

/// Claims listed at most; a long document's first ones.
const MAX_CLAIMS: usize = 50;

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const COMPARISONS: [&str; 12] = [
    "more than",
    "less than",
    "fewer than",
    "higher",
    "lower",
    "largest",
    "smallest",
    "most",
    "least",
    "increase",
    "decrease",
    "percent",
];
const SOURCES: [&str; 7] = [
    "according to",
    "reported",
    "study",
    "survey",
    "said",
    "states that",
    "published",
];

pub struct Builtin;

#[async_trait::async_trait]
impl Analyzer for Builtin {
    fn name(&self) -> &'static str {
        "builtin"
    }

    async fn analyze(&self, input: &Input) -> Result<Judgement, AnalysisFailed> {
        // Extracting a large PDF's text is CPU work: kept off the async workers.
        let content = input.content.clone();
        let attachments = input.attachments.clone();
        tokio::task::spawn_blocking(move || judge(content, &attachments))
            .await
            .map_err(|_| AnalysisFailed("The analysis stopped unexpectedly.".into()))
    }
}

fn judge(content: String, attachments: &[(Attachment, Bytes)]) -> Judgement {
    let read = attachment_texts(attachments);
    let texts = std::iter::once(content.as_str()).chain(read.iter().map(|(_, text)| text.as_str()));
    let claims: Vec<Claim> = texts
        .flat_map(sentences)
        .filter_map(|sentence| why_checkable(&sentence).map(|why| claim(sentence, why)))
        .take(MAX_CLAIMS)
        .collect();
    let summary = format!(
        "Read the text and {} of {} attachment(s); found {} check-worthy claim(s). The \
         built-in analyzer works offline, so it lists claims without judging them.",
        read.len(),
        attachments.len(),
        claims.len()
    );
    Judgement { summary, claims }
}

fn claim(text: String, why: &str) -> Claim {
    Claim {
        explanation: format!("States {why}, which a source could confirm or refute."),
        text,
        verdict: Verdict::Unverifiable,
    }
}

/// The sentences of `text`, whitespace collapsed.
fn sentences(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut found = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for word in words {
        current.push(word);
        if word.ends_with(['.', '!', '?']) {
            found.push(current.join(" "));
            current.clear();
        }
    }
    if !current.is_empty() {
        found.push(current.join(" "));
    }
    found
}

/// What makes `sentence` checkable, if anything does.
fn why_checkable(sentence: &str) -> Option<&'static str> {
    let lower = sentence.to_lowercase();
    let has_word = |list: &[&str]| {
        list.iter().any(|needle| {
            lower
                .match_indices(needle)
                .any(|(at, _)| is_word_at(&lower, at, needle.len()))
        })
    };
    if has_word(&MONTHS) {
        Some("a date")
    } else if sentence.contains('%') || sentence.chars().any(|c| c.is_ascii_digit()) {
        Some("a number or quantity")
    } else if has_word(&SOURCES) {
        Some("what a source says")
    } else if has_word(&COMPARISONS) {
        Some("a comparison")
    } else {
        None
    }
}

/// Whether the match at `at..at + len` stands as a whole word.
fn is_word_at(text: &str, at: usize, len: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at + len..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(content: &str) -> Input {
        Input {
            content: content.into(),
            attachments: vec![],
        }
    }

    #[tokio::test]
    async fn checkable_sentences_become_claims_and_the_rest_do_not() {
        let text = "Hello there. Revenue grew 12% in 2024. The moon is the largest \
                    object nearby! According to the ministry, crime fell. We had fun \
                    in mayhem.";
        let judgement = Builtin.analyze(&input(text)).await.unwrap();
        let claimed: Vec<_> = judgement.claims.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            claimed,
            [
                "Revenue grew 12% in 2024.",
                "The moon is the largest object nearby!",
                "According to the ministry, crime fell."
            ]
        );
        assert!(judgement
            .claims
            .iter()
            .all(|c| c.verdict == Verdict::Unverifiable));
        assert_eq!(Builtin.analyze(&input(text)).await.unwrap(), judgement);
    }
}
