//! The word lists and templates synthetic records are written from, and their compiled form.

use std::fmt::Write as _;

use super::random::Rng;

// Word lists and templates, `name: item|item|…` (a name may go on over several lines). `{name}`
// expands a random item of that list, `{n}` a count, `{start}`/`{end}` the record's years.
// Subjects are in descending popularity.
pub(super) const VOCABULARY: &str = "\
pubTitle: {lead} {topic} among {pop} in {place}|{lead} {topic} and {outcome}: {method}
pubTitle: {topic} and {topic}: {method}|{program} and {outcome} among {pop}: {method}
pubTitle: {lead} {topic} in {place}, {start}-{end}|{topic} among {pop}: {findings} from {place}
dsTitle: {survey} of {topic} in {place}, {start}-{end}|Evaluation of {program} in {place}, {start}
dsTitle: {survey} of {pop} and {outcome}, {start}-{end} [United States]|{survey} of {topic}, {end}
pubOpen: This {study} examines {topic} among {pop} in {place}.|The {study} presents findings on \
{topic} from {data} covering {start} to {end}.|Researchers assessed whether {program} reduced \
{outcome} among {pop}.
dsOpen: This data collection contains {data} on {topic} among {pop} in {place}, {start} to \
{end}.|These data were gathered to evaluate {program} in {place} between {start} and {end}.
sentence: Using {data} collected between {start} and {end}, the researchers {verb} {topic} and \
{topic}.|Data were drawn from {n} {unit} and {n} {unit}.|Findings indicate that {topic} was \
{assoc} with {outcome}, particularly among {pop}.|The {study} also considers the role of \
{factor} and {factor} in shaping {outcome}.|Implications for {audience} and for {policy} are \
discussed.|Compared with {comparison}, participants in {program} showed {change} rates of \
{outcome}.|Interviews with {n} {staff} highlighted challenges related to {factor}.\
|Recommendations address {policy}, {policy}, and future research on {topic}.|Variables include \
{var}, {var}, {var}, and {var}.|Analyses controlled for {factor}, {factor}, and {factor}.|Most \
{staff} reported that {policy} improved {outcome}, although {factor} limited implementation.
lead: Assessing the Impact of|Examining|Understanding|Evaluating|Trends in|Predictors of|Reducing\
|Preventing|Responding to|Estimating|Correlates of|Disparities in|The Costs of|Rethinking
topic: {adj} {noun}|{adj} {noun}|{noun}
adj: juvenile|violent|repeat|domestic|rural|urban|federal|local|community-based|pretrial|\
post-release|school-based|gang-related|youth|firearm|sexual|intimate partner|tribal|police|\
correctional|online|neighborhood|chronic
noun: victimization|recidivism|policing|sentencing|reentry|human trafficking|incarceration|\
supervision|offending|delinquency|violence|arrests|courts|prosecution|detention|diversion|\
probation|parole|misconduct|use of force|risk assessment|victim services|gun violence|desistance|\
gang involvement|homicide|burglary|fraud|stalking|bullying|truancy|substance use|cybercrime
pop: adolescents|young adults|women|veterans|immigrants|probationers|parolees|prison inmates|jail \
detainees|crime victims|police officers|students|homeless youth|juvenile offenders|gang members
place: {state}|{state}|{state}|the United States|large cities|rural counties|urban neighborhoods
method: A Longitudinal Study|A Randomized Controlled Trial|Findings from a National Survey|\
Evidence from Administrative Records|A Multisite Evaluation|A Mixed-Methods Study|A Systematic \
Review|A Quasi-Experimental Evaluation|Final Report|A Process Evaluation|A Cost-Benefit Analysis
program: drug courts|reentry programs|mentoring programs|diversion programs|hot spots policing|\
focused deterrence|mental health courts|restorative justice programs|body-worn cameras|victim \
advocacy programs|electronic monitoring|cognitive behavioral therapy
outcome: rearrest|reconviction|reincarceration|repeat victimization|school dropout|program \
completion|employment|housing stability|crime reporting|fear of crime|trust in police|court \
appearance|technical violations
findings: Prevalence and Consequences|Risk and Protective Factors|Trends and Patterns|Lessons
survey: National Survey|Census|Longitudinal Study|Multisite Study|Statewide Survey|Panel Study
data: survey data|arrest records|court records|victimization surveys|administrative data|case \
files|incident reports|in-depth interviews|focus groups|calls for service data
study: study|report|evaluation|analysis|survey|project|assessment
verb: analyze|examine|estimate|compare|describe|assess|model
assoc: positively associated|negatively associated|strongly associated|not significantly associated
factor: neighborhood disadvantage|family structure|peer influence|prior arrests|mental illness|\
officer training|caseload size|judicial discretion|economic hardship|social support|procedural \
justice|collective efficacy|housing instability
audience: practitioners|policymakers|police executives|court administrators|victim advocates|\
correctional administrators|prosecutors|probation officers
policy: sentencing reform|bail reform|reentry planning|victim compensation|data sharing|officer \
training|community supervision|juvenile detention reform|trauma-informed care|case management
comparison: a matched comparison group|the control group|prior cohorts|nonparticipants
change: lower|higher|modestly lower|significantly lower|similar
unit: jurisdictions|police agencies|court districts|correctional facilities|schools|households|\
respondents|counties|treatment programs|jails
staff: officers|judges|prosecutors|case managers|victim advocates|probation officers|correctional \
staff|service providers
var: age|sex|race and ethnicity|offense type|prior record|sentence length|time served|household \
income|employment status|victim injury|weapon use|risk score
subject: law enforcement|victimization|juvenile justice|corrections|courts|policing|recidivism|\
drug abuse|domestic violence|sentencing|reentry|crime statistics|human trafficking|victim \
services|gangs|firearms|crime prevention|prisons|jails|probation|parole|sexual assault|child abuse|\
elder abuse|substance abuse treatment|mental health|homicide|robbery|burglary|property crime|\
violent crime|hate crimes|cybercrime|fraud|white-collar crime|terrorism|school safety|bullying|\
delinquency|drug courts|problem-solving courts|pretrial release|bail|indigent defense|prosecution|\
forensic science|DNA evidence|police use of force|community policing|police-community relations|\
racial disparities|immigration|restorative justice|victim compensation|stalking|intimate partner \
violence|alcohol|opioids|crime mapping|criminal careers|capital punishment|correctional education
state: Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|\
Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|\
Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New \
Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South \
Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|\
Wyoming
city: New York, NY|Chicago, IL|Los Angeles, CA|Houston, TX|Philadelphia, PA|Atlanta, GA|Boston, \
MA|Seattle, WA|Denver, CO|Ann Arbor, MI|Columbus, OH|Minneapolis, MN|Raleigh, NC|Baltimore, MD
first: James|Mary|Robert|Patricia|John|Jennifer|Michael|Linda|David|Elizabeth|Carlos|Karen|Maria|\
Daniel|Lisa|Kevin|Ashley|Jose|Michelle|Luis|Wei|Mei|Hiroshi|Ahmed|Fatima|Priya|Kwame|Amara|Sean|\
Ingrid|Diego|Lucia|Tyrone|Keisha|Nathan|Rachel
last: Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|Lopez|Wilson|\
Anderson|Taylor|Moore|Jackson|Lee|Perez|Thompson|White|Harris|Clark|Lewis|Walker|Young|King|\
Scott|Torres|Nguyen|Hill|Rivera|Campbell|Chen|Kim|Patel|Singh|Okafor|Mensah|Kowalski|Novak|\
Rossi|O'Brien|Cohen|Yamamoto|Haddad|Petrov|Castillo|Holloway|Pemberton|Caldwell
subtitle: Research in Brief|Special Report|Research Report|Final Report|Statistical Brief
series: Justice Experiences Survey Series|Community Safety Panel Series|Youth Court Outcomes \
Series|Police Practices Census Series|Statewide Reentry Cohort Series|Court Caseflow Series
dataType: survey data|administrative records data|aggregate data|event/transaction data|clinical \
data|experimental data|observational data|census/enumeration data
department: Synthetic Department of {area}
area: Public Safety|Justice Research|Corrections and Rehabilitation|Youth Services|Health and \
Human Services|Community Affairs|Labor Statistics|Education Research|Public Welfare|Homeland \
Security Studies|Transportation Safety|Housing and Urban Studies|Social Services|Veterans Affairs
office: Office of {unitTopic}|Bureau of {unitTopic}|Office for {unitTopic}|Division of {unitTopic}\
|Administration for {unitTopic}
institute: National Institute for {unitTopic}|Center for {unitTopic} Research|Institute of \
{unitTopic}
division: {unitTopic} Division|{unitTopic} Branch|Program on {unitTopic}
unitTopic: Community Policing|Juvenile Programs|Victim Assistance|Crime Statistics|Corrections \
Research|Court Innovation|Reentry Services|Drug Policy|Violence Prevention|Forensic Sciences|\
Tribal Justice|Sentencing Policy|Justice Data|Program Evaluation|Policy Analysis|Family Violence|\
School Safety|Survey Operations|Science and Technology|Civil Rights|Offender Supervision|Youth \
Development|Crime Mapping|Trafficking Prevention|Grants Management|Community Relations|Workforce \
Development|Health Statistics|Emergency Management
university: Synthetic University of {state}|Synthetic {state} State University|Synthetic {last} \
College|Synthetic {last} University|Synthetic {compass} {state} University|Synthetic {state} \
Technical University
compass: Northern|Southern|Eastern|Western|Central
academicUnit: School of Criminal Justice|Department of Sociology|Department of Criminology|School \
of Public Policy|School of Social Work|Center for {unitTopic} Research|Survey Research Center|\
Institute for {unitTopic} Studies|{unitTopic} Laboratory|{unitTopic} Program
firm: Synthetic {last} Associates|Synthetic {last} and {last} Research|Synthetic {last} Analytics\
|Synthetic {last} Consulting
archive: Synthetic {unitTopic} Data Archive|Synthetic {state} Data Repository
publisher: Synthetic {last} Press|Synthetic {state} University Press|Synthetic {last} Publishing
";

/// One piece of a compiled vocabulary item.
pub(super) enum Piece {
    Text(&'static str),
    List(usize),
    Count,
    Start,
    End,
}

/// The parsed [`VOCABULARY`]: each list's raw items and the same items compiled into pieces.
pub(super) struct Vocabulary {
    names: Vec<&'static str>,
    raw: Vec<Vec<&'static str>>,
    compiled: Vec<Vec<Vec<Piece>>>,
}

impl Vocabulary {
    pub(super) fn new() -> Self {
        let (mut names, mut raw) = (Vec::new(), Vec::<Vec<&'static str>>::new());
        for line in VOCABULARY.lines() {
            let (name, items) = line.split_once(": ").expect("`name: items` line");
            if names.last() != Some(&name) {
                names.push(name);
                raw.push(Vec::new());
            }
            raw.last_mut().unwrap().extend(items.split('|'));
        }
        let compiled = Vec::new();
        let mut v = Vocabulary {
            names,
            raw,
            compiled,
        };
        v.compiled = (v.raw.iter())
            .map(|l| l.iter().map(|i| v.compile(i)).collect())
            .collect();
        v
    }

    pub(super) fn id(&self, name: &str) -> usize {
        (self.names.iter().position(|n| *n == name)).unwrap_or_else(|| panic!("no list {name}"))
    }

    pub(super) fn words(&self, name: &str) -> &[&'static str] {
        &self.raw[self.id(name)]
    }

    pub(super) fn compile(&self, mut rest: &'static str) -> Vec<Piece> {
        let mut pieces = Vec::new();
        while let Some(open) = rest.find('{') {
            let close = open + rest[open..].find('}').expect("closed placeholder");
            pieces.push(Piece::Text(&rest[..open]));
            pieces.push(match &rest[open + 1..close] {
                "n" => Piece::Count,
                "start" => Piece::Start,
                "end" => Piece::End,
                name => Piece::List(self.id(name)),
            });
            rest = &rest[close + 1..];
        }
        pieces.push(Piece::Text(rest));
        pieces
    }

    /// Appends a random item of `list`, placeholders expanded; `years` fills `{start}`/`{end}`.
    pub(super) fn expand(&self, rng: &mut Rng, years: (i32, i32), list: usize, out: &mut String) {
        for piece in rng.pick(&self.compiled[list]) {
            let number = match *piece {
                Piece::Text(text) => {
                    out.push_str(text);
                    continue;
                }
                Piece::List(inner) => {
                    self.expand(rng, years, inner, out);
                    continue;
                }
                Piece::Count => {
                    let scale = rng.below(2000); // mostly small counts, a few large ones
                    12 + rng.below(scale + 1) as i32
                }
                Piece::Start => years.0,
                Piece::End => years.1,
            };
            let _ = write!(out, "{number}");
        }
    }

    /// "[Synthetic] " and a title of 6–16 words, each capitalized except short function words.
    pub(super) fn title(&self, rng: &mut Rng, years: (i32, i32), list: usize) -> String {
        const SMALL: [&str; 14] = [
            "a", "an", "and", "the", "of", "in", "on", "for", "to", "from", "with", "by", "at",
            "among",
        ];
        let mut raw = String::new();
        for _ in 0..8 {
            raw.clear();
            self.expand(rng, years, list, &mut raw);
            if (6..=16).contains(&raw.split_whitespace().count()) {
                break;
            }
        }
        if raw.split_whitespace().count() < 6 {
            raw.push_str(": A Study of Public Safety");
        }
        let mut title = String::from("[Synthetic]");
        for (i, word) in raw.split_whitespace().take(16).enumerate() {
            title.push(' ');
            let mut chars = word.chars();
            match chars.next() {
                Some(c) if i == 0 || !SMALL.contains(&word) => {
                    title.extend(c.to_uppercase());
                    title.push_str(chars.as_str());
                }
                _ => title.push_str(word),
            }
        }
        title
    }

    /// An abstract or summary of 60–200 words: an `opening` sentence, then body sentences.
    pub(super) fn paragraph(
        &self,
        rng: &mut Rng,
        years: (i32, i32),
        opening: usize,
        out: &mut String,
    ) {
        out.clear();
        let (target, sentence) = (rng.between(60, 175), self.id("sentence"));
        self.expand(rng, years, opening, out);
        let mut words = out.split_whitespace().count();
        while words < target {
            let from = out.len();
            out.push(' ');
            self.expand(rng, years, sentence, out);
            words += out[from..].split_whitespace().count();
        }
    }
}
