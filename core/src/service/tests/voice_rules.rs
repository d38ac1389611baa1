//! The rules of one voice (docs/glossary.md), shared by the test of every mail (here) and
//! the test of every text in the source (tests/tests/voice.rs, which includes this file).

/// The variants the glossary's last table forbids, from the glossary's text.
pub fn forbidden(glossary: &str) -> Vec<&str> {
    glossary
        .split("## Variants not used")
        .nth(1)
        .expect("the glossary's table of variants")
        .lines()
        .filter(|line| line.starts_with('|'))
        .skip(2)
        .filter_map(|line| line.split('|').nth(1).map(str::trim))
        .filter(|v| !v.is_empty())
        .collect()
}

/// Yen written without its thousands comma (`2777円`), anywhere in `text`.
pub fn bare_yen(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    (4..chars.len()).find_map(|end| {
        let yen = chars[end] == '円' && chars[end - 4..end].iter().all(char::is_ascii_digit);
        yen.then(|| chars[end - 4..=end].iter().collect())
    })
}

/// An ISO date (`2027-10-02`), or a zero-padded month or day (`10月02日`), anywhere in
/// `text`.
pub fn unjapanese_date(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    (0..chars.len()).find_map(|i| {
        let iso = (0..4).all(|k| digit(i + k))
            && chars.get(i + 4) == Some(&'-')
            && digit(i + 5)
            && digit(i + 6)
            && chars.get(i + 7) == Some(&'-')
            && digit(i + 8)
            && digit(i + 9);
        let padded = matches!(chars.get(i), Some('年' | '月'))
            && chars.get(i + 1) == Some(&'0')
            && digit(i + 2)
            && matches!(chars.get(i + 3), Some('月' | '日'));
        (iso || padded).then(|| chars[i..(i + 10).min(chars.len())].iter().collect())
    })
}
