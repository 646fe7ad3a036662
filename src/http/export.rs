//! Downloads for people: CSV of the outcome tables and the audit log, the
//! weekly report as markdown.
//!
//! Every download is made from the view model of the page it sits beside,
//! loaded the same way (the same tenancy, permission and visibility rules),
//! so it holds exactly the rows the person sees there.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppError;
use super::view::WhyGoCard;

/// An answer the browser saves as `filename` (ASCII: slugs, keys, dates).
pub fn download(content_type: &'static str, filename: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", safe_filename(filename));
    let disposition = HeaderValue::from_str(&disposition)
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// The name with anything but letters, digits, `-`, `_` and `.` made `-`:
/// nothing that could end the quoted header value.
fn safe_filename(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A cell of a CSV row.
pub enum Cell<'a> {
    /// Words someone typed (names, notes, targets as written): guarded
    /// against formula injection.
    Text(&'a str),
    /// A number or date whygo itself wrote: left as is, so `-3` stays a
    /// number in the spreadsheet.
    Plain(&'a str),
    /// A target or actual as written: a plain number (`-3`, `1,200.5`,
    /// `-4%`) stays readable as one, anything else is guarded as text.
    Value(&'a str),
}

/// `-3`, `1,200.5`, `-4%`: a number and nothing a spreadsheet could run.
fn is_plain_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let s = s.strip_suffix('%').unwrap_or(s);
    s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
}

/// A text cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`,
/// or a tab or carriage return before one) gets a leading `'`, as OWASP's
/// CSV injection advice says: the spreadsheet then shows it as text.
pub fn guard(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// A CSV document being written: a header row, then rows.
pub struct Csv {
    w: csv::Writer<Vec<u8>>,
}

impl Csv {
    pub fn new(header: &[&str]) -> Result<Csv, AppError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header).map_err(csv_error)?;
        Ok(Csv { w })
    }

    pub fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), AppError> {
        let cells: Vec<std::borrow::Cow<'_, str>> = cells
            .iter()
            .map(|c| match c {
                Cell::Text(t) => guard(t),
                Cell::Plain(p) => (*p).into(),
                Cell::Value(v) if is_plain_number(v) => (*v).into(),
                Cell::Value(v) => guard(v),
            })
            .collect();
        self.w
            .write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(csv_error)
    }

    /// The document as a download named `filename`.
    pub fn download(self, filename: &str) -> Result<Response, AppError> {
        let bytes = self
            .w
            .into_inner()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("CSV is not UTF-8: {e}")))?;
        Ok(download("text/csv; charset=utf-8", filename, text))
    }
}

fn csv_error(e: csv::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing CSV: {e}"))
}

/// The outcome tables of `cards` (as the page shows them, one table per
/// WhyGO) as one CSV: a row per outcome, with each quarter's target,
/// actual and status.
pub fn outcomes_csv(cards: &[WhyGoCard], filename: &str) -> Result<Response, AppError> {
    let mut csv = Csv::new(&[
        "WhyGO",
        "Outcome",
        "Owner",
        "Q1 target",
        "Q1 actual",
        "Q1 status",
        "Q2 target",
        "Q2 actual",
        "Q2 status",
        "Q3 target",
        "Q3 actual",
        "Q3 status",
        "Q4 target",
        "Q4 actual",
        "Q4 status",
    ])?;
    for w in cards {
        for o in &w.outcomes {
            let mut cells = vec![
                Cell::Text(&w.heading),
                Cell::Text(&o.name),
                Cell::Text(&o.owners),
            ];
            for c in &o.cells {
                cells.push(Cell::Value(&c.target));
                cells.push(Cell::Value(&c.actual));
                // As the page: a quarter not judged yet shows no status.
                cells.push(Cell::Plain(if c.judged { c.chip.label } else { "" }));
            }
            csv.row(&cells)?;
        }
    }
    csv.download(filename)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_prefixed_with_a_quote() {
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard("+1"), "'+1");
        assert_eq!(guard("-2+3"), "'-2+3");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("\t=1"), "'\t=1");
        assert_eq!(guard("Revenue"), "Revenue");
        assert_eq!(guard(""), "");
    }

    #[test]
    fn plain_cells_keep_negative_numbers_and_text_cells_are_quoted_when_needed() {
        let mut csv = Csv::new(&["a", "b", "c"]).unwrap_or_else(|e| panic!("{e}"));
        csv.row(&[
            Cell::Plain("-3"),
            Cell::Text("a, \"quoted\"\nline"),
            Cell::Text("-3"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        csv.row(&[
            Cell::Value("-4%"),
            Cell::Value("1,200.5"),
            Cell::Value("-1+1"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let bytes = csv.w.into_inner().unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "a,b,c\n-3,\"a, \"\"quoted\"\"\nline\",'-3\n-4%,\"1,200.5\",'-1+1\n"
        );
    }

    #[test]
    fn a_download_name_cannot_break_out_of_its_quotes() {
        assert_eq!(safe_filename("kartel-2026.csv"), "kartel-2026.csv");
        assert_eq!(safe_filename("a\"b;\r\nc"), "a-b---c");
    }
}
