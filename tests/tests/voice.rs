//! docs/glossary.md: the texts a member reads (the portal, the problems, the mails' and the
//! services' messages) use one word for one thing, write dates the Japanese way, and never
//! show a romanised product name. This reads the source itself: a line of code that holds
//! Japanese text is a member's text; comments are not.

use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The variants the glossary's last table forbids.
fn forbidden() -> Vec<String> {
    let glossary = std::fs::read_to_string(Path::new(ROOT).join("docs/glossary.md")).unwrap();
    let table = glossary
        .split("## Variants not used")
        .nth(1)
        .expect("the glossary's table of variants");
    let variants: Vec<String> = table
        .lines()
        .filter(|line| line.starts_with('|'))
        .skip(2)
        .filter_map(|line| line.split('|').nth(1).map(|v| v.trim().to_owned()))
        .filter(|v| !v.is_empty())
        .collect();
    assert!(variants.len() >= 5, "{variants:?}");
    variants
}

/// Every file of the member's texts: the portal, and the core's non-test Rust.
fn texts() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut walk = vec![
        Path::new(ROOT).join("web"),
        Path::new(ROOT).join("core/src/domain"),
        Path::new(ROOT).join("core/src/service"),
        Path::new(ROOT).join("core/src/http/problem"),
    ];
    while let Some(dir) = walk.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "tests" {
                    walk.push(path);
                }
            } else if ["js", "html", "rs"]
                .iter()
                .any(|ext| name.ends_with(&format!(".{ext}")))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn japanese(line: &str) -> bool {
    line.chars().any(|c| {
        matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{ff01}'..='\u{ff5e}')
    })
}

/// A line of code, not a comment; Rust's `#[cfg(test)]` modules are left out with the rest
/// of the file after them.
fn member_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut in_block = false;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if in_block {
            in_block = !trimmed.contains("*/");
            continue;
        }
        if trimmed.starts_with("/*") {
            in_block = !trimmed.contains("*/");
            continue;
        }
        let comment = ["//", "* ", "*/", "<!--", "#"]
            .iter()
            .any(|start| trimmed.starts_with(start))
            || trimmed == "*";
        if !comment && japanese(line) {
            lines.push((number + 1, line));
        }
    }
    lines
}

/// `2027-10-02` (an ISO date), or a zero-padded month or day (`10月02日`).
fn unjapanese_date(line: &str) -> bool {
    let chars: Vec<char> = line.chars().collect();
    let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    (0..chars.len()).any(|i| {
        let iso = (0..4).all(|k| digit(i + k))
            && chars.get(i + 4) == Some(&'-')
            && digit(i + 5)
            && digit(i + 6)
            && chars.get(i + 7) == Some(&'-')
            && digit(i + 8)
            && digit(i + 9);
        let padded = matches!(chars.get(i), Some('年') | Some('月'))
            && chars.get(i + 1) == Some(&'0')
            && digit(i + 2)
            && matches!(chars.get(i + 3), Some('月') | Some('日'));
        iso || padded
    })
}

#[test]
fn members_read_one_word_for_one_thing_and_japanese_dates() {
    let variants = forbidden();
    let mut found = Vec::new();
    for file in texts() {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file
            .strip_prefix(ROOT)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (number, line) in member_lines(&text) {
            for variant in &variants {
                if line.contains(variant.as_str()) {
                    found.push(format!("{shown}:{number}: 「{variant}」: {}", line.trim()));
                }
            }
            if unjapanese_date(line) {
                found.push(format!(
                    "{shown}:{number}: a date not written the Japanese way: {}",
                    line.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "docs/glossary.md is not followed:\n{}",
        found.join("\n")
    );
}

/// The check can fail: each of its rules finds what it is for.
#[test]
fn the_check_finds_what_it_looks_for() {
    assert!(unjapanese_date("有効期限 2028-10-02"));
    assert!(unjapanese_date("2027年10月02日"));
    assert!(unjapanese_date("2027年01月2日"));
    assert!(!unjapanese_date("2027年10月2日"));
    assert!(
        forbidden()
            .iter()
            .any(|v| "【madoguchi】ご案内".contains(v.as_str()))
    );
    let code =
        "const KEY = 'madoguchi.session';\n// 結果コード58 in a comment\nconst T = '結果コード58';";
    let lines = member_lines(code);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, 3);
}
