//! docs/glossary.md: the texts a member reads (the portal, the problems, the mails' and the
//! services' messages) use one word for one thing, write dates the Japanese way, and never
//! show a romanised product name. This reads the source itself: a line of code that holds
//! Japanese text is a member's text; comments are not.

use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

#[path = "../../core/src/service/tests/voice_rules.rs"]
mod voice_rules;
use voice_rules::{bare_yen, unjapanese_date};

/// The variants the glossary's last table forbids.
fn forbidden() -> Vec<String> {
    let glossary = std::fs::read_to_string(Path::new(ROOT).join("docs/glossary.md")).unwrap();
    let variants: Vec<String> = voice_rules::forbidden(&glossary)
        .into_iter()
        .map(str::to_owned)
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
            if let Some(yen) = bare_yen(line) {
                found.push(format!(
                    "{shown}:{number}: yen without its comma, 「{yen}」: {}",
                    line.trim()
                ));
            }
            if unjapanese_date(line).is_some() {
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
    assert!(unjapanese_date("有効期限 2028-10-02").is_some());
    assert!(unjapanese_date("2027年10月02日").is_some());
    assert!(unjapanese_date("2027年01月2日").is_some());
    assert!(unjapanese_date("2027年10月2日").is_none());
    assert_eq!(bare_yen("合計 2777円").as_deref(), Some("2777円"));
    assert!(bare_yen("合計 2,777円").is_none());
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
