//! Dates: the period a DCAT-US `temporal` covers and the date an `issued` gives.

use crate::dates::PartialDateValue;

/// The years a DCAT-US `temporal` covers, `(start, end)`, either open.
///
/// Reads ISO 8601 intervals (`2005-01-01/2005-12-31`, timestamps such as
/// `2021-12-01T00:00:00.0000000/2021-12-31T00:00:00.0000000`, `2000/..`, a start or end with a
/// duration: `2000-01-15/P1M`, repeating `R/2000/P1Y`), a single date or year (`2005`,
/// `2005-06`), and year ranges as people write them (`2005-2010`, `2005 - 2010`, `2005–2010`,
/// `2005 to 2010`). The reason says why another text is not read; a start after the end is
/// refused too.
pub fn parse_temporal(text: &str) -> Result<(Option<i32>, Option<i32>), String> {
    let bad = || format!("\"{text}\" is not a period like 2005-01-01/2005-12-31 or 2005-2010");
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty".into());
    }
    let (start, end) = if trimmed.contains('/') {
        let mut parts: Vec<&str> = trimmed.split('/').map(str::trim).collect();
        // Repeating interval: "R/…" or "R5/…".
        if parts.len() == 3
            && parts[0].starts_with(['R', 'r'])
            && parts[0][1..].bytes().all(|b| b.is_ascii_digit())
        {
            parts.remove(0);
        }
        let [a, b] = parts[..] else { return Err(bad()) };
        match (interval_end(a), interval_end(b)) {
            (Some(End::Date(s)), Some(End::Date(e))) => (Some(s.year()), Some(e.year())),
            (Some(End::Date(s)), Some(End::Open)) => (Some(s.year()), None),
            (Some(End::Open), Some(End::Date(e))) => (None, Some(e.year())),
            (Some(End::Date(s)), Some(End::Duration(d))) => {
                let last = d
                    .after(s.first_day())
                    .and_then(|e| e.pred_opt())
                    .ok_or_else(bad)?;
                (Some(s.year()), Some(chrono::Datelike::year(&last)))
            }
            (Some(End::Duration(d)), Some(End::Date(e))) => {
                let first = d
                    .before(e.last_day())
                    .and_then(|s| s.succ_opt())
                    .ok_or_else(bad)?;
                (Some(chrono::Datelike::year(&first)), Some(e.year()))
            }
            _ => return Err(bad()),
        }
    } else if let Some(date) = point(trimmed) {
        (Some(date.year()), Some(date.year()))
    } else {
        let range = [" to ", " through ", " thru ", "–", "—", " - ", "-"]
            .iter()
            .find_map(|sep| {
                let (a, b) = trimmed.split_once(sep)?;
                Some((point(a.trim())?, point(b.trim())?))
            });
        let (a, b) = range.ok_or_else(bad)?;
        (Some(a.year()), Some(b.year()))
    };
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(format!("\"{text}\": start {s} is after end {e}"));
    }
    Ok((start, end))
}

/// One side of an interval.
enum End {
    Date(PartialDateValue),
    Duration(Duration),
    Open,
}

fn interval_end(text: &str) -> Option<End> {
    if text.is_empty() || text == ".." {
        return Some(End::Open);
    }
    if text.starts_with(['P', 'p']) {
        return Duration::parse(text).map(End::Duration);
    }
    point(text).map(End::Date)
}

/// A date at any precision, or a timestamp's date part.
fn point(text: &str) -> Option<PartialDateValue> {
    let date = match text.find(['T', 't', ' ']) {
        Some(at) => {
            let time = text[at + 1..].trim();
            // "2005-01-01T00:00:00", "2005-01-01 00:00:00Z": the rest must look like a time.
            if !time.starts_with(|c: char| c.is_ascii_digit()) || !time.contains(':') {
                return None;
            }
            &text[..at]
        }
        None => text,
    };
    PartialDateValue::parse(date).ok()
}

trait DateBounds {
    fn year(&self) -> i32;
    fn first_day(&self) -> chrono::NaiveDate;
    fn last_day(&self) -> chrono::NaiveDate;
}

impl DateBounds for PartialDateValue {
    fn year(&self) -> i32 {
        self.year
    }

    fn first_day(&self) -> chrono::NaiveDate {
        let month = self.month.unwrap_or(1) as u32;
        let day = self.day.unwrap_or(1) as u32;
        chrono::NaiveDate::from_ymd_opt(self.year, month, day).unwrap_or_default()
    }

    fn last_day(&self) -> chrono::NaiveDate {
        let month = self.month.unwrap_or(12) as u32;
        match self.day {
            Some(day) => chrono::NaiveDate::from_ymd_opt(self.year, month, day as u32),
            None => chrono::NaiveDate::from_ymd_opt(self.year, month, 1)
                .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
                .and_then(|next| next.pred_opt()),
        }
        .unwrap_or_default()
    }
}

/// An ISO 8601 duration's calendar part (`P1Y2M10D`, `P3W`); hours and less are ignored.
struct Duration {
    months: u32,
    days: u64,
}

impl Duration {
    fn parse(text: &str) -> Option<Self> {
        let body = &text[1..];
        let date_part = body.split(['T', 't']).next().unwrap_or("");
        let (mut months, mut days, mut number, mut any) = (0u32, 0u64, String::new(), false);
        for c in date_part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let n: u64 = number.parse().ok()?;
            number.clear();
            any = true;
            match c.to_ascii_uppercase() {
                'Y' => months += u32::try_from(n.checked_mul(12)?).ok()?,
                'M' => months += u32::try_from(n).ok()?,
                'W' => days += n.checked_mul(7)?,
                'D' => days += n,
                _ => return None,
            }
        }
        if !number.is_empty() || (!any && body.len() == date_part.len()) {
            return None;
        }
        Some(Self { months, days })
    }

    fn after(&self, start: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        start
            .checked_add_months(chrono::Months::new(self.months))?
            .checked_add_days(chrono::Days::new(self.days))
    }

    fn before(&self, end: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        end.checked_sub_months(chrono::Months::new(self.months))?
            .checked_sub_days(chrono::Days::new(self.days))
    }
}

/// `issued` at its precision: `2005`, `2005-10`, `2005-10-15`, or a timestamp's date.
pub(super) fn parse_issued(text: &str) -> Result<PartialDateValue, String> {
    point(text).ok_or_else(|| {
        format!("\"{text}\" is not a date like 2005, 2005-10, 2005-10-15 or 2005-10-15T00:00:00")
    })
}
