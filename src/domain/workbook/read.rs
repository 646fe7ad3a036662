//! Reading typed values out of the span-keeping TOML tree.
//!
//! We walk `toml::de::DeTable` by hand instead of deriving `Deserialize`, because
//! serde stops at the first problem while a workbook author wants every problem
//! in one run, each with its line, column and dotted key.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use chrono::{DateTime, NaiveDate, SubsecRound as _, Utc};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::WorkbookError;

/// Byte range in the source text.
pub(super) type Span = Range<usize>;

/// The text being read, with what turns a byte offset into a line and column.
pub(super) struct Source<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub(super) fn new(file: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            file,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters, so “ and → count as one).
    pub(super) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, column)
    }
}

/// Collects every problem and remembers where every value we read sits, keyed by
/// its dotted path (`person[3].reports_to`), so that the checks that run after
/// reading can point at the right line.
pub(super) struct Reader<'a> {
    pub(super) src: Source<'a>,
    pub(super) errors: Vec<WorkbookError>,
    /// The keys with a problem: asked once per value read, so a set, not a
    /// scan of `errors` (a file of 200,000 unknown keys stays linear).
    error_keys: HashSet<String>,
    spans: HashMap<String, Span>,
    /// A `workbook = 1` file: an unknown key that version 2 knows says so.
    pub(super) v1_hint: bool,
}

/// Problems listed at most; past them one line says more follow. A file
/// with thousands of mistakes is fixed from its first ones anyway.
pub(super) const MAX_ERRORS: usize = 500;

/// Longest text any workbook value may be (fields with their own, shorter
/// limit, such as WhyGO titles, check theirs too).
pub(super) const MAX_TEXT: usize = 10_000;

impl<'a> Reader<'a> {
    pub(super) fn new(file: &'a str, text: &'a str) -> Self {
        Reader {
            src: Source::new(file, text),
            errors: Vec::new(),
            error_keys: HashSet::new(),
            spans: HashMap::new(),
            v1_hint: false,
        }
    }

    /// Records a problem; a key that already has one gets no second, so one
    /// mistake does not come back as a pile of follow-on complaints.
    pub(super) fn error_at(&mut self, span: &Span, key: &str, message: impl Into<String>) {
        if !self.error_keys.insert(key.to_owned()) {
            return;
        }
        let (line, column) = self.src.position(span.start);
        match self.errors.len() {
            n if n < MAX_ERRORS => self
                .errors
                .push(WorkbookError::at(self.src.file, line, column, key, message)),
            n if n == MAX_ERRORS => self.errors.push(WorkbookError::at(
                self.src.file,
                line,
                column,
                key,
                format!("more problems follow from here: only the first {MAX_ERRORS} are listed; fix these and load again"),
            )),
            _ => {}
        }
    }

    /// Reports a problem at the value recorded under `key`, or at the nearest
    /// recorded parent (`whygo[2]` for `whygo[2].department` when it is absent).
    pub(super) fn error(&mut self, key: &str, message: impl Into<String>) {
        let span = self.span_of(key);
        self.error_at(&span, key, message);
    }

    /// Whether the file gave this key (as opposed to a default filling it in).
    pub(super) fn was_written(&self, key: &str) -> bool {
        self.spans.contains_key(key)
    }

    pub(super) fn has_error(&self, key: &str) -> bool {
        self.error_keys.contains(key)
    }

    pub(super) fn span_of(&self, key: &str) -> Span {
        let mut path = key;
        loop {
            if let Some(span) = self.spans.get(path) {
                return span.clone();
            }
            match path.rfind(['.', '[']) {
                Some(i) => path = &path[..i],
                None => return 0..0,
            }
        }
    }

    pub(super) fn position_of(&self, key: &str) -> (usize, usize) {
        self.src.position(self.span_of(key).start)
    }

    pub(super) fn record(&mut self, key: &str, span: Span) {
        self.spans.insert(key.to_string(), span);
    }

    /// Opens a table for reading: reports keys that are not in `allowed` (the
    /// format denies unknown fields so that typos surface instead of vanishing).
    pub(super) fn table<'t, 'i>(
        &mut self,
        value: &'t Spanned<DeValue<'i>>,
        path: &str,
        what: &str,
        allowed: &'static [&'static str],
    ) -> Fields<'t, 'i> {
        self.record(path, value.span());
        let DeValue::Table(table) = value.get_ref() else {
            self.error_at(
                &value.span(),
                path,
                format!("expected a {what} table, found {}", describe(self, value)),
            );
            // An empty stand-in keeps later items at their index, so that
            // `person[4]` still names the fifth entry; it reports nothing more.
            return Fields {
                table: None,
                span: value.span(),
                path: path.to_string(),
                what: what.to_string(),
            };
        };
        self.open(table, value.span(), path, what, allowed)
    }

    /// Like [`Reader::table`] for a table we already hold (the document itself).
    pub(super) fn open<'t, 'i>(
        &mut self,
        table: &'t DeTable<'i>,
        span: Span,
        path: &str,
        what: &str,
        allowed: &'static [&'static str],
    ) -> Fields<'t, 'i> {
        for (key, _) in table {
            let name = key.get_ref().as_ref();
            if !allowed.contains(&name) {
                let mut message = format!(
                    "unknown key “{name}” in {what} (expected one of: {})",
                    allowed.join(", ")
                );
                if self.v1_hint && super::V2_ONLY_KEYS.contains(&name) {
                    message.push_str("; “");
                    message.push_str(name);
                    message.push_str("” is a `workbook = 2` key: write `workbook = 2` at the top of the file to use it");
                } else if let Some(close) = closest(name, allowed.iter().copied())
                    && edit_distance(name, close) <= 2
                {
                    message.push_str("; did you mean “");
                    message.push_str(close);
                    message.push_str("”?");
                }
                self.error_at(&key.span(), &join(path, name), message);
            }
        }
        Fields {
            table: Some(table),
            span,
            path: path.to_string(),
            what: what.to_string(),
        }
    }

    /// The elements of an array of tables such as `[[person]]`.
    pub(super) fn tables<'t, 'i>(
        &mut self,
        value: Option<&'t Spanned<DeValue<'i>>>,
        path: &str,
    ) -> Vec<(String, &'t Spanned<DeValue<'i>>)> {
        let Some(value) = value else {
            return Vec::new();
        };
        match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("{path}[{i}]"), item))
                .collect(),
            _ => {
                let found = describe(self, value);
                self.error_at(
                    &value.span(),
                    path,
                    format!("expected [[{path}]] entries (an array of tables), found {found}"),
                );
                Vec::new()
            }
        }
    }
}

/// A table being read; every getter records the value's position and reports
/// a missing required key or a value of the wrong type.
pub(super) struct Fields<'t, 'i> {
    table: Option<&'t DeTable<'i>>,
    pub(super) span: Span,
    pub(super) path: String,
    what: String,
}

impl<'t, 'i> Fields<'t, 'i> {
    pub(super) fn get(&self, name: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.table.and_then(|t| t.get(name))
    }

    pub(super) fn key(&self, name: &str) -> String {
        join(&self.path, name)
    }

    fn present(
        &self,
        r: &mut Reader<'_>,
        name: &str,
        required: bool,
        expected: &str,
    ) -> Option<&'t Spanned<DeValue<'i>>> {
        let key = self.key(name);
        match self.get(name) {
            Some(v) => {
                r.record(&key, v.span());
                Some(v)
            }
            None => {
                if required && self.table.is_some() {
                    r.error_at(
                        &self.span,
                        &key,
                        format!(
                            "missing required key “{name}” in {} (expected {expected})",
                            self.what
                        ),
                    );
                }
                None
            }
        }
    }

    /// Any text, possibly empty.
    pub(super) fn raw_text(
        &self,
        r: &mut Reader<'_>,
        name: &str,
        required: bool,
    ) -> Option<String> {
        let v = self.present(r, name, required, "a text in quotes")?;
        as_text(r, &self.key(name), v)
    }

    /// A text that must not be blank.
    pub(super) fn text(&self, r: &mut Reader<'_>, name: &str, required: bool) -> Option<String> {
        let v = self.present(r, name, required, "a text in quotes")?;
        let key = self.key(name);
        let text = as_text(r, &key, v)?;
        if text.trim().is_empty() {
            r.error_at(
                &v.span(),
                &key,
                "expected a non-empty text, found an empty one",
            );
            return None;
        }
        Some(text)
    }

    /// A key of another item, or this item's own key: `[a-z0-9][a-z0-9-_]*`.
    pub(super) fn key_text(
        &self,
        r: &mut Reader<'_>,
        name: &str,
        required: bool,
    ) -> Option<String> {
        let v = self.present(r, name, required, "a key such as \"sales\" in quotes")?;
        let key = self.key(name);
        as_key(r, &key, v)
    }

    pub(super) fn key_list(
        &self,
        r: &mut Reader<'_>,
        name: &str,
        required: bool,
    ) -> Option<Vec<String>> {
        let v = self.present(
            r,
            name,
            required,
            "a list of keys such as [\"kevin\", \"luke\"]",
        )?;
        let key = self.key(name);
        let items = as_list(r, &key, v, "a list of keys such as [\"kevin\", \"luke\"]")?;
        Some(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let item_key = format!("{key}[{i}]");
                    r.record(&item_key, item.span());
                    as_key(r, &item_key, item)
                })
                .collect(),
        )
    }

    pub(super) fn text_list(
        &self,
        r: &mut Reader<'_>,
        name: &str,
        required: bool,
    ) -> Option<Vec<Spanned<String>>> {
        let v = self.present(r, name, required, "a list of texts such as [\"a\", \"b\"]")?;
        let key = self.key(name);
        let items = as_list(r, &key, v, "a list of texts such as [\"a\", \"b\"]")?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let item_key = format!("{key}[{i}]");
            r.record(&item_key, item.span());
            match as_text(r, &item_key, item) {
                Some(t) => out.push(Spanned::new(item.span(), t)),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A table of lists of texts keyed by keys, e.g. `{ a-key = ["x", "y"] }`,
    /// in the order written; `None` when absent or unreadable (reported).
    pub(super) fn keyed_text_lists(
        &self,
        r: &mut Reader<'_>,
        name: &str,
    ) -> Option<Vec<(String, Vec<String>)>> {
        let expected = "a table of lists of texts such as { a-key = [\"a\", \"b\"] }";
        let v = self.present(r, name, false, expected)?;
        let key = self.key(name);
        let DeValue::Table(table) = v.get_ref() else {
            let found = describe(r, v);
            r.error_at(
                &v.span(),
                &key,
                format!("expected {expected}, found {found}"),
            );
            return None;
        };
        let mut out = Vec::with_capacity(table.len());
        let mut ok = true;
        for (k, list) in table {
            let item_key = join(&key, k.get_ref());
            r.record(&item_key, list.span());
            let name = k.get_ref().to_string();
            if !is_key(&name) {
                r.error_at(
                    &k.span(),
                    &item_key,
                    format!("“{name}” is not a valid key (expected a key such as \"sales-to-production\")"),
                );
                ok = false;
                continue;
            }
            let Some(items) = as_list(r, &item_key, list, "a list of texts such as [\"a\", \"b\"]")
            else {
                ok = false;
                continue;
            };
            let mut texts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let path = format!("{item_key}[{i}]");
                r.record(&path, item.span());
                match as_text(r, &path, item) {
                    Some(t) => texts.push(t),
                    None => ok = false,
                }
            }
            out.push((name, texts));
        }
        ok.then_some(out)
    }

    pub(super) fn integer(&self, r: &mut Reader<'_>, name: &str, required: bool) -> Option<i64> {
        let v = self.present(r, name, required, "a whole number such as 3")?;
        as_integer(r, &self.key(name), v)
    }

    pub(super) fn number(&self, r: &mut Reader<'_>, name: &str, required: bool) -> Option<f64> {
        let v = self.present(r, name, required, "a number such as 0.8")?;
        let key = self.key(name);
        match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => match f.as_str().parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    r.error_at(
                        &v.span(),
                        &key,
                        format!("expected a finite number, found {}", f.as_str()),
                    );
                    None
                }
            },
            _ => {
                let found = describe(r, v);
                r.error_at(
                    &v.span(),
                    &key,
                    format!("expected a number such as 0.8, found {found}"),
                );
                None
            }
        }
    }

    pub(super) fn boolean(&self, r: &mut Reader<'_>, name: &str) -> Option<bool> {
        let v = self.present(r, name, false, "true or false")?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                let found = describe(r, v);
                r.error_at(
                    &v.span(),
                    &self.key(name),
                    format!("expected true or false, found {found}"),
                );
                None
            }
        }
    }

    /// A date written `"2026-03-27"` or as a bare TOML date `2026-03-27`.
    pub(super) fn date(&self, r: &mut Reader<'_>, name: &str, required: bool) -> Option<NaiveDate> {
        let v = self.present(r, name, required, "a date such as \"2026-03-27\"")?;
        let key = self.key(name);
        let parsed = match v.get_ref() {
            DeValue::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
            DeValue::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
                d.date.and_then(|d| {
                    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                })
            }
            _ => None,
        };
        if parsed.is_none() {
            let found = describe(r, v);
            r.error_at(
                &v.span(),
                &key,
                format!("expected a date written YYYY-MM-DD such as \"2026-03-27\", found {found}"),
            );
        }
        parsed
    }

    /// An instant in RFC 3339 with its offset, e.g. `2026-01-05T09:30:00Z`,
    /// bare or in quotes.
    pub(super) fn instant(
        &self,
        r: &mut Reader<'_>,
        name: &str,
        required: bool,
    ) -> Option<DateTime<Utc>> {
        let v = self.present(r, name, required, "a time such as 2026-01-05T09:30:00Z")?;
        let key = self.key(name);
        let written = match v.get_ref() {
            DeValue::String(s) => Some(s.trim().to_string()),
            DeValue::Datetime(d) => Some(d.to_string()),
            _ => None,
        };
        let parsed = written
            .as_deref()
            .and_then(|w| DateTime::parse_from_rfc3339(w).ok())
            // The database keeps microseconds: a finer time would not read back.
            .map(|t| t.with_timezone(&Utc).trunc_subsecs(6));
        if parsed.is_none() {
            let found = describe(r, v);
            r.error_at(
                &v.span(),
                &key,
                format!(
                    "expected a date and time with its offset (RFC 3339) such as 2026-01-05T09:30:00Z, found {found}"
                ),
            );
        }
        parsed
    }

    /// One of a few words, each the `word` of one of `options` (the enum's
    /// own spelling, so the workbook, the pages and the rows agree).
    pub(super) fn choice<T: Copy>(
        &self,
        r: &mut Reader<'_>,
        name: &str,
        required: bool,
        options: &[T],
        word: fn(T) -> &'static str,
    ) -> Option<T> {
        let words: Vec<String> = options
            .iter()
            .map(|t| format!("\"{}\"", word(*t)))
            .collect();
        let expected = format!("one of {}", words.join(", "));
        let v = self.present(r, name, required, &expected)?;
        let key = self.key(name);
        let found = match v.get_ref() {
            DeValue::String(s) => options.iter().find(|t| word(**t) == s.as_ref()).copied(),
            _ => None,
        };
        if found.is_none() {
            let seen = describe(r, v);
            r.error_at(
                &v.span(),
                &key,
                format!("expected {expected}, found {seen}"),
            );
        }
        found
    }

    /// A sub-array of tables, such as `[[person.kpi]]` or `[[whygo.outcome]]`.
    pub(super) fn tables(
        &self,
        r: &mut Reader<'_>,
        name: &str,
    ) -> Vec<(String, &'t Spanned<DeValue<'i>>)> {
        let key = self.key(name);
        r.tables(self.get(name), &key)
    }
}

fn as_text(r: &mut Reader<'_>, key: &str, v: &Spanned<DeValue<'_>>) -> Option<String> {
    match v.get_ref() {
        DeValue::String(s) => {
            let n = s.chars().count();
            if n > MAX_TEXT {
                r.error_at(
                    &v.span(),
                    key,
                    format!("expected a text of at most {MAX_TEXT} characters, found {n}"),
                );
                return None;
            }
            if let Some(c) = s
                .chars()
                .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                r.error_at(
                    &v.span(),
                    key,
                    format!(
                        "expected text without control characters, found U+{:04X}",
                        u32::from(c)
                    ),
                );
                return None;
            }
            Some(s.to_string())
        }
        DeValue::Integer(_) | DeValue::Float(_) => {
            let written = r.src.text.get(v.span()).unwrap_or("").trim().to_string();
            let found = describe(r, v);
            r.error_at(
                &v.span(),
                key,
                format!("expected a text in quotes, found {found} (write \"{written}\")"),
            );
            None
        }
        _ => {
            let found = describe(r, v);
            r.error_at(
                &v.span(),
                key,
                format!("expected a text in quotes, found {found}"),
            );
            None
        }
    }
}

fn as_key(r: &mut Reader<'_>, key: &str, v: &Spanned<DeValue<'_>>) -> Option<String> {
    let text = as_text(r, key, v)?;
    if !is_key(&text) {
        r.error_at(
            &v.span(),
            key,
            format!(
                "“{text}” is not a valid key (expected lowercase letters, digits and '-', at most 63, starting with a letter or digit, and not “new”, e.g. \"{}\")",
                suggest_key(&text)
            ),
        );
    }
    Some(text)
}

fn as_integer(r: &mut Reader<'_>, key: &str, v: &Spanned<DeValue<'_>>) -> Option<i64> {
    match v.get_ref() {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Some(n),
            Err(_) => {
                r.error_at(
                    &v.span(),
                    key,
                    "expected a whole number, found one too large",
                );
                None
            }
        },
        _ => {
            let found = describe(r, v);
            r.error_at(
                &v.span(),
                key,
                format!("expected a whole number such as 3, found {found}"),
            );
            None
        }
    }
}

fn as_list<'t, 'i>(
    r: &mut Reader<'_>,
    key: &str,
    v: &'t Spanned<DeValue<'i>>,
    expected: &str,
) -> Option<&'t [Spanned<DeValue<'i>>]> {
    match v.get_ref() {
        DeValue::Array(items) => Some(items),
        _ => {
            let found = describe(r, v);
            r.error_at(
                &v.span(),
                key,
                format!("expected {expected}, found {found}"),
            );
            None
        }
    }
}

/// "an integer (5)": the type in plain words and the text as written.
pub(super) fn describe(r: &Reader<'_>, v: &Spanned<DeValue<'_>>) -> String {
    let kind = match v.get_ref() {
        DeValue::String(_) => "the text",
        DeValue::Integer(_) => "the number",
        DeValue::Float(_) => "the number",
        DeValue::Boolean(_) => "the boolean",
        DeValue::Datetime(_) => "the date/time",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => return "a table".to_string(),
    };
    let written = r.src.text.get(v.span()).unwrap_or("").trim();
    let mut shown: String = written.chars().take(40).collect();
    if shown.len() < written.len() {
        shown.push('…');
    }
    if shown.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} {shown}")
    }
}

pub(super) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Keys are lowercase identifiers so that they work in URLs and on the
/// command line: the one rule of `domain::keys`, as the admin pages apply it.
pub(super) fn is_key(s: &str) -> bool {
    crate::domain::keys::Key::parse(s).is_ok()
}

fn suggest_key(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "sales".to_string()
    } else {
        out
    }
}

/// Levenshtein distance, in characters; small inputs only (keys).
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `wanted`, to suggest in an "unknown key" message.
pub(super) fn closest<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(wanted, c), c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
