//! A deterministic generator of realistic synthetic graphs in the native import format, for benchmarks and scale tests.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

use serde::Serialize;
use serde_json::json;

mod random;
mod vocabulary;

use random::{Rng, Zipf, date, link_degrees};
use vocabulary::Vocabulary;

/// What to generate. `links` is capped at `publications × datasets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    pub publications: usize,
    pub datasets: usize,
    pub producers: usize,
    pub links: usize,
    pub seed: u64,
}

/// How many records of each type were written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub producers: usize,
    pub publications: usize,
    pub datasets: usize,
    pub links: usize,
}

/// Writes producers, then datasets, then publications, then links, one JSON object per line.
///
/// The same options give the same bytes. Lines are streamed through a buffer: memory grows with
/// the number of records (producer paths, popularity tables, link degrees), not with the text.
pub fn write_graph(options: &GenerateOptions, out: &mut impl Write) -> io::Result<GenerateSummary> {
    let out = BufWriter::with_capacity(1 << 16, out);
    let mut g = Generator {
        o: options,
        v: Vocabulary::new(),
        out,
    };
    let producers = g.producers()?;
    let datasets = g.datasets(&producers)?;
    let years = g.publications(&producers)?;
    let links = g.links(&years)?;
    g.out.flush()?;
    let (producers, publications) = (producers.paths.len(), years.len());
    Ok(GenerateSummary {
        producers,
        publications,
        datasets,
        links,
    })
}

/// Producer classes, and the roles each can hold (by index into `ROLES`).
const GOV: u8 = 1;
const ACADEMIC: u8 = 2;
const FIRM: u8 = 4;
const ARCHIVE: u8 = 8;
const PRESS: u8 = 16;
const ROLES: [(&str, u8); 6] = [
    ("PRODUCER", GOV | ACADEMIC | FIRM),
    ("SPONSOR", GOV),
    ("PUBLISHER", PRESS),
    ("FUNDER", GOV),
    ("PRINCIPAL_INVESTIGATOR", ACADEMIC | FIRM),
    ("DISTRIBUTOR", ARCHIVE),
];

#[derive(Serialize)]
struct Credit<'a> {
    producer: &'a str,
    role: &'static str,
}

/// Producer paths and, per role, the candidates (all producers if no class fits) by popularity.
struct Producers {
    paths: Vec<String>,
    pools: Vec<(Zipf, Vec<usize>)>,
}

impl Producers {
    /// Appends a credit for role `ROLES[role]` unless the drawn producer is already credited.
    fn credit<'a>(&'a self, rng: &mut Rng, role: usize, out: &mut Vec<Credit<'a>>) {
        let (zipf, members) = &self.pools[role];
        if !members.is_empty() {
            let producer = self.paths[members[zipf.sample(rng)]].as_str();
            if !out.iter().any(|c| c.producer == producer) {
                let role = ROLES[role].0;
                out.push(Credit { producer, role });
            }
        }
    }
}

/// The options, the vocabulary and the buffered output, shared by the four sections.
struct Generator<'a, W: Write> {
    o: &'a GenerateOptions,
    v: Vocabulary,
    out: BufWriter<W>,
}

fn emit(out: &mut impl Write, line: &serde_json::Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")
}

impl<W: Write> Generator<'_, W> {
    /// A hierarchy of depth up to 4 (department > office > institute > division, university >
    /// unit) plus root archives, publishers and firms. Roots start with "Synthetic " and
    /// abbreviations with "SYN-", so nothing collides with real producers; siblings never share
    /// a name, abbreviation or alias (compared without case, as the importer does).
    fn producers(&mut self) -> io::Result<Producers> {
        let (mut rng, k, v) = (Rng::new(self.o.seed, 1), self.o.producers, &self.v);
        let (gov, academic) = (k * 2 / 5, k * 7 / 20);
        let archives = if k < 8 { 0 } else { (k / 40).max(1) };
        let presses = if k < 8 { 0 } else { (k / 20).max(1) };
        let departments = if gov == 0 { 0 } else { (gov / 80).clamp(1, 12) };
        let offices = ((gov - departments) * 3).div_ceil(10);
        let institutes = (gov - departments - offices) * 2 / 3;
        let divisions = gov - departments - offices - institutes;
        let universities = academic.div_ceil(3);
        let units = academic - universities;
        let firms = k - gov - academic - archives - presses;
        let (agency, institute) = ("government agency", "research institute");
        // (count, vocabulary list, class, kind, level of the parents)
        let plan = [
            (departments, "department", GOV, agency, None),
            (offices, "office", GOV, agency, Some(0)),
            (institutes, "institute", GOV, agency, Some(1)),
            (divisions, "division", GOV, agency, Some(2)),
            (universities, "university", ACADEMIC, "university", None),
            (units, "academicUnit", ACADEMIC, institute, Some(4)),
            (archives, "archive", ARCHIVE, "data archive", None),
            (presses, "publisher", PRESS, "publisher", None),
            (firms, "firm", FIRM, "research firm", None),
        ];
        let (mut paths, mut short, mut classes) = (Vec::<String>::new(), Vec::new(), Vec::new());
        let (mut levels, mut labels) = (Vec::<Vec<usize>>::new(), HashSet::new());
        for (count, list, class, kind, parent_level) in plan {
            // With few producers a parent level may be empty: its children go one level up.
            let mut up = parent_level;
            while let Some(level) = up.filter(|&l| levels[l].is_empty()) {
                up = plan[level].4;
            }
            let mut level = Vec::with_capacity(count);
            for _ in 0..count {
                // Parents are drawn with a mild skew, so some units are larger than others.
                let skew = rng.unit() * (1.0 + rng.unit()) / 2.0;
                let parent = up.map(|l| levels[l][(skew * levels[l].len() as f64) as usize]);
                let key = parent.map_or(0, |p| p + 1);
                // A name unique among siblings: drawn again a few times, then numbered.
                let mut name = String::new();
                for attempt in 0..30 {
                    name.clear();
                    v.expand(&mut rng, (0, 0), v.id(list), &mut name);
                    if attempt == 29 {
                        let _ = write!(name, " {}", paths.len() + 1);
                    }
                    if labels.insert((key, name.to_lowercase())) {
                        break;
                    }
                }
                let initials: String = (name.split([' ', '-']).filter(|w| *w != "Synthetic"))
                    .filter_map(|w| w.chars().next().filter(char::is_ascii_uppercase))
                    .collect();
                let often = class & (GOV | ARCHIVE) != 0;
                let abbreviation = Some(format!("SYN-{initials}")).filter(|a| {
                    initials.len() >= 2
                        && rng.chance(if often { 0.7 } else { 0.25 })
                        && labels.insert((key, a.to_lowercase()))
                });
                let alias = match parent {
                    Some(p) => format!("{name} ({})", short[p]),
                    None if class & (FIRM | PRESS) != 0 => format!("{name}, Inc."),
                    None => format!("The {name}"),
                };
                let alias = Some(alias)
                    .filter(|a| rng.chance(0.2) && labels.insert((key, a.to_lowercase())));
                let location = match rng.below(10) {
                    0..8 if class == GOV => Some("Washington, DC"),
                    0 => None,
                    _ => Some(*rng.pick(v.words("city"))),
                };
                let slug = (abbreviation.as_deref().unwrap_or(&name).to_lowercase())
                    .replace("syn-", "")
                    .replace("synthetic ", "")
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "-");
                let url = parent
                    .is_none()
                    .then(|| format!("https://{slug}.example.org"));
                let parent = parent.map(|p| paths[p].as_str());
                let line = json!({
                    "type": "producer", "name": name, "abbreviation": abbreviation,
                    "aliases": Vec::from_iter(alias), "kind": kind, "location": location,
                    "url": url, "parent": parent,
                });
                emit(&mut self.out, &line)?;
                level.push(paths.len());
                paths.push(parent.map_or_else(|| name.clone(), |p| format!("{p} > {name}")));
                short.push(abbreviation.unwrap_or(name));
                classes.push(class);
            }
            levels.push(level);
        }
        let pool = |mask: u8| {
            let mut members: Vec<_> = (0..paths.len())
                .filter(|&i| classes[i] & mask != 0)
                .collect();
            if members.is_empty() {
                members = (0..paths.len()).collect();
            }
            (Zipf::new(members.len(), 1.0, true), members)
        };
        let pools = ROLES.iter().map(|&(_, mask)| pool(mask)).collect();
        Ok(Producers { paths, pools })
    }

    fn datasets(&mut self, producers: &Producers) -> io::Result<usize> {
        let (mut rng, v) = (Rng::new(self.o.seed, 2), &self.v);
        let (title, opening, states) = (v.id("dsTitle"), v.id("dsOpen"), v.words("state"));
        let (subjects, data_types) = (v.words("subject"), v.words("dataType"));
        let subject_zipf = Zipf::new(subjects.len(), 1.0, false);
        let state_zipf = Zipf::new(states.len(), 4.0, true);
        let type_zipf = Zipf::new(data_types.len(), 1.0, false);
        let (mut text, mut credits) = (String::new(), Vec::new());
        for number in 1..=self.o.datasets {
            let start = rng.between(1970, 2022);
            let end =
                (start + rng.weighted(&[(0, 40), (1, 15), (2, 15), (4, 15), (9, 15)])).min(2024);
            let years = (start as i32, end as i32);
            v.paragraph(&mut rng, years, opening, &mut text);
            let doi = rng.chance(0.5).then(|| format!("10.5555/syn.d.{number}"));
            credits.clear();
            producers.credit(&mut rng, 4, &mut credits); // principal investigator
            if rng.chance(0.7) {
                producers.credit(&mut rng, 3, &mut credits); // funder
            }
            if rng.chance(0.6) {
                producers.credit(&mut rng, 5, &mut credits); // distributor
            }
            let released = (end + rng.between(1, 4)).min(2025);
            let released = date(&mut rng, released, 2);
            let coverage = match rng.chance(0.45) {
                true => vec!["United States"],
                false => state_zipf.words(&mut rng, states, 1, 3),
            };
            let line = json!({
                "type": "dataset", "synthetic": true, "studyNumber": format!("SYN-D{number:07}"),
                "doi": doi, "title": v.title(&mut rng, years, title), "summary": text,
                "timePeriod": (!rng.chance(0.05)).then(|| json!({"start": start, "end": end})),
                "geographicCoverage": coverage, "releasedOn": released,
                "version": rng.weighted(&[("v1", 60), ("v2", 20), ("v3", 10), ("v4", 6), ("v5", 4)]),
                "series": rng.chance(0.5).then(|| *rng.pick(v.words("series"))),
                "dataTypes": type_zipf.words(&mut rng, data_types, 1, 2),
                "subjects": subject_zipf.words(&mut rng, subjects, 1, 6),
                "url": doi.as_ref().map(|d| format!("https://doi.org/{d}")), "producers": credits,
            });
            emit(&mut self.out, &line)?;
        }
        Ok(self.o.datasets)
    }

    /// Returns each publication's year, for the links' dates.
    fn publications(&mut self, producers: &Producers) -> io::Result<Vec<u16>> {
        let (mut rng, v) = (Rng::new(self.o.seed, 3), &self.v);
        let (title, opening, subjects) = (v.id("pubTitle"), v.id("pubOpen"), v.words("subject"));
        let (first, last, cities) = (v.words("first"), v.words("last"), v.words("city"));
        let subject_zipf = Zipf::new(subjects.len(), 1.0, false);
        let (mut text, mut credits, mut years) = (String::new(), Vec::new(), Vec::new());
        let types = [
            (Some("Report (Study/Research)"), 35),
            (Some("Journal Article"), 20),
            (Some("Statistics"), 10),
            (Some("Bulletin"), 8),
            (Some("Report (Grant Sponsored)"), 8),
            (Some("Fact Sheet"), 6),
            (None, 13),
        ];
        for number in 1..=self.o.publications {
            // Later years are more common; precision: year 20%, month 50%, day 30%.
            let year = 1975 + rng.below(51).max(rng.below(51));
            let precision = rng.weighted(&[(0, 20), (1, 50), (2, 30)]);
            let published_on = date(&mut rng, year, precision);
            let end = year as i32 - rng.between(1, 3) as i32;
            let study_years = (end - rng.below(6) as i32, end);
            v.paragraph(&mut rng, study_years, opening, &mut text);
            let authors: Vec<String> =
                (0..rng.weighted(&[(0, 15), (1, 30), (2, 25), (3, 17), (5, 13)]))
                    .map(|_| match rng.below(40) {
                        letter @ 0..26 => {
                            let initial = char::from(b'A' + letter as u8);
                            format!("{} {initial}. {}", rng.pick(first), rng.pick(last))
                        }
                        _ => format!("{} {}", rng.pick(first), rng.pick(last)),
                    })
                    .collect();
            let (pages, tables, figures) =
                (rng.between(4, 300), rng.between(1, 40), rng.between(1, 25));
            let physical_description = match rng.below(10) {
                0..3 => None,
                3..6 => Some(format!("{pages} pages")),
                6..9 => Some(format!("{pages} pages, {tables} tables, {figures} figures")),
                _ => Some(format!("{figures} figures and {tables} references")),
            };
            let doi = rng.chance(0.5).then(|| format!("10.5555/syn.p.{number}"));
            credits.clear();
            producers.credit(&mut rng, 0, &mut credits);
            for _ in 1..rng.weighted(&[(1, 60), (2, 30), (3, 10)]) {
                let role = rng.weighted(&[(0, 50), (1, 30), (2, 20)]); // producer, sponsor, publisher
                producers.credit(&mut rng, role, &mut credits);
            }
            let place = match rng.below(10) {
                0..3 => Some("Washington, DC"),
                3..6 => Some(*rng.pick(cities)),
                _ => None,
            };
            let line = json!({
                "type": "publication", "synthetic": true, "ncjNumber": format!("SYN-P{number:07}"),
                "doi": doi, "title": v.title(&mut rng, study_years, title),
                "subtitle": rng.chance(0.12).then(|| *rng.pick(v.words("subtitle"))),
                "publicationType": rng.weighted(&types), "publishedOn": published_on,
                "abstract": text, "physicalDescription": physical_description,
                "placeOfProduction": place,
                "language": rng.weighted(&[("English", 96), ("Spanish", 4)]),
                "url": doi.as_ref().map(|d| format!("https://doi.org/{d}")), "authors": authors,
                "subjects": subject_zipf.words(&mut rng, subjects, 1, 6), "producers": credits,
            });
            emit(&mut self.out, &line)?;
            years.push(year as u16);
        }
        Ok(years)
    }

    /// Dataset popularity is Zipf-like (at 200k publications a few datasets get thousands of
    /// links); each publication draws distinct datasets, so no pair repeats without a global set.
    fn links(&mut self, years: &[u16]) -> io::Result<usize> {
        let (o, mut rng) = (self.o, Rng::new(self.o.seed, 4));
        let total = o.links.min(o.publications.saturating_mul(o.datasets));
        if total == 0 {
            return Ok(0);
        }
        let degrees = link_degrees(&mut rng, o.publications, o.datasets, total);
        let (zipf, mut picks) = (Zipf::new(o.datasets, 3.0, true), Vec::new());
        for (index, &degree) in degrees.iter().enumerate() {
            let ncj_number = format!("SYN-P{:07}", index + 1);
            zipf.distinct(&mut rng, degree as usize, &mut picks);
            for &dataset in &picks {
                let from = usize::from(years[index]).clamp(1996, 2025);
                let linked_on = rng.chance(0.65).then(|| rng.between(from, 2025));
                let line = json!({
                    "type": "link", "publication": {"ncjNumber": ncj_number},
                    "dataset": {"studyNumber": format!("SYN-D{:07}", dataset + 1)},
                    "relationType": rng.weighted(&[("REFERENCES", 45), ("IS_RELATED_TO", 35),
                        ("IS_SUPPLEMENTED_BY", 6), ("DOCUMENTS", 5), ("IS_REFERENCED_BY", 5),
                        ("IS_SUPPLEMENT_TO", 4)]),
                    "source": rng.weighted(&[("NCJRS", 45), ("ICPSR bibliography", 40),
                        ("Scholix: DataCite", 15)]),
                    "linkedOn": linked_on.map(|year| date(&mut rng, year, 2)),
                });
                emit(&mut self.out, &line)?;
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use serde_json::Value;

    use super::*;

    /// Generates `[publications, datasets, producers, links]` and parses every line.
    fn generate(sizes: [usize; 4], seed: u64) -> (GenerateSummary, String, Vec<Value>) {
        let [publications, datasets, producers, links] = sizes;
        let options = GenerateOptions {
            publications,
            datasets,
            producers,
            links,
            seed,
        };
        let mut out = Vec::new();
        let summary = write_graph(&options, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let records = text
            .lines()
            .map(|l| serde_json::from_str(l).expect(l))
            .collect();
        (summary, text, records)
    }

    fn s(value: &Value) -> &str {
        value
            .as_str()
            .unwrap_or_else(|| panic!("not a string: {value}"))
    }

    fn link_pair(r: &Value) -> (&str, &str) {
        (
            s(&r["publication"]["ncjNumber"]),
            s(&r["dataset"]["studyNumber"]),
        )
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let text = |seed| generate([300, 60, 40, 600], seed).1;
        assert_eq!(text(7), text(7));
        assert_ne!(text(7), text(8));
    }

    /// Records come in the documented order, and every reference (parent, credit, link) names a
    /// record on an earlier line.
    #[test]
    fn records_are_well_formed_and_refer_to_earlier_lines() {
        let (summary, _, records) = generate([2000, 300, 100, 4000], 1);
        let (mut counts, mut paths, mut labels) = ([0; 4], HashSet::new(), HashSet::new());
        let (mut keys, mut pairs, mut precisions) =
            (HashSet::new(), HashSet::new(), HashSet::new());
        for r in &records {
            let kind = ["producer", "dataset", "publication", "link"].map(|k| r["type"] == k);
            let kind = kind.iter().position(|&is| is).expect("known type");
            assert!(
                counts[kind + 1..].iter().all(|&c| c == 0),
                "out of order: {r}"
            );
            counts[kind] += 1;
            if kind == 0 {
                let (name, parent) = (s(&r["name"]), r["parent"].as_str());
                assert!(
                    parent.is_none_or(|p| paths.contains(p)),
                    "unknown parent: {r}"
                );
                assert!(parent.is_some() || name.starts_with("Synthetic "), "{r}");
                let labels_here = [&r["name"], &r["abbreviation"]].into_iter();
                for label in labels_here.chain(r["aliases"].as_array().unwrap()) {
                    let label = label.as_str().map(str::to_lowercase);
                    assert!(
                        label.is_none() || labels.insert((parent, label)),
                        "label reused: {r}"
                    );
                }
                paths.insert(parent.map_or(name.to_owned(), |p| format!("{p} > {name}")));
            } else if kind < 3 {
                assert_eq!(r["synthetic"], true);
                let title = s(&r["title"]).strip_prefix("[Synthetic] ").unwrap();
                assert!((6..=16).contains(&title.split_whitespace().count()), "{r}");
                let text = s(&r[["", "summary", "abstract"][kind]]);
                assert!((60..=200).contains(&text.split_whitespace().count()), "{r}");
                for credit in r["producers"].as_array().unwrap() {
                    assert!(
                        paths.contains(s(&credit["producer"])),
                        "unknown producer: {r}"
                    );
                }
                let key = s(&r[["", "studyNumber", "ncjNumber"][kind]]);
                assert!(key.starts_with("SYN-") && keys.insert(key), "{r}");
                assert!(
                    r["doi"]
                        .as_str()
                        .is_none_or(|d| d.starts_with("10.5555/syn."))
                );
                precisions.extend(r["publishedOn"].as_str().map(str::len));
            } else {
                let (publication, dataset) = link_pair(r);
                assert!(keys.contains(publication) && keys.contains(dataset), "{r}");
                assert!(pairs.insert((publication, dataset)), "duplicate link: {r}");
            }
        }
        let [producers, datasets, publications, links] = counts;
        assert_eq!(
            summary,
            GenerateSummary {
                producers,
                publications,
                datasets,
                links
            }
        );
        assert_eq!(counts, [100, 300, 2000, 4000]);
        assert_eq!(paths.iter().map(|p| p.split(" > ").count()).max(), Some(4));
        assert_eq!(precisions, HashSet::from([4, 7, 10])); // year, month and day
    }

    #[test]
    fn dataset_popularity_is_skewed_and_publications_have_at_most_ten() {
        let (_, _, records) = generate([2000, 300, 50, 4000], 3);
        let (mut per_dataset, mut per_publication) = (HashMap::new(), HashMap::new());
        for (publication, dataset) in records
            .iter()
            .filter(|r| r["type"] == "link")
            .map(link_pair)
        {
            *per_dataset.entry(dataset).or_insert(0) += 1;
            *per_publication.entry(publication).or_insert(0) += 1;
        }
        let mut counts: Vec<usize> = per_dataset.into_values().collect();
        counts.resize(300, 0); // datasets without links
        counts.sort_unstable();
        let (median, max) = (counts[150], counts[299]);
        assert!(max >= 10 * median.max(1), "max {max}, median {median}");
        assert!(per_publication.values().all(|&n| n <= 10));
    }

    #[test]
    fn links_are_capped_and_tiny_inputs_work() {
        let (summary, _, records) = generate([30, 7, 0, 1000], 5);
        assert_eq!((summary.links, summary.producers), (210, 0));
        let links = records.iter().filter(|r| r["type"] == "link");
        assert_eq!(links.map(link_pair).collect::<HashSet<_>>().len(), 210);
        for producers in 0..12 {
            let (summary, _, _) = generate([5, 0, producers, 10], 9);
            assert_eq!((summary.producers, summary.links), (producers, 0));
        }
    }
}
