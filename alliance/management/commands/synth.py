"""Fill the database with a large, realistic, synthetic registry, quickly and reproducibly."""

import random
import time
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from alliance.models import (
    Agreement,
    Body,
    Citation,
    Meeting,
    MeetingDocument,
    Organization,
    Participation,
    Person,
    Post,
    Seat,
    Source,
)
from alliance.public import maintained

PREFIX = "synth-"
FIELDS_JA = ["安全保障", "防衛", "宇宙", "サイバー", "拡大抑止", "装備", "技術", "情報保全", "海洋", "同盟", "調整", "作業", "政策", "運用"]
FIELDS_EN = ["Security", "Defense", "Space", "Cyber", "Extended Deterrence", "Equipment", "Technology", "Information Security", "Maritime", "Alliance", "Coordination", "Working", "Policy", "Operations"]
BODY_KINDS_JA = ["協議", "委員会", "作業部会", "対話", "フォーラム", "調整所"]
BODY_KINDS_EN = ["Consultation", "Committee", "Working Group", "Dialogue", "Forum", "Coordination Center"]
PLACES = [
    ("東京", "Tokyo"), ("ワシントンD.C.", "Washington, D.C."), ("横田", "Yokota"), ("ホノルル", "Honolulu"),
    ("那覇", "Naha"), ("横須賀", "Yokosuka"), ("佐世保", "Sasebo"), ("嘉手納", "Kadena"), ("普天間", "Futenma"),
    ("岩国", "Iwakuni"), ("三沢", "Misawa"), ("座間", "Zama"), ("厚木", "Atsugi"), ("舞鶴", "Maizuru"),
    ("市ヶ谷", "Ichigaya"), ("霞が関", "Kasumigaseki"), ("キャンベラ", "Canberra"), ("シンガポール", "Singapore"),
    ("マニラ", "Manila"), ("ソウル", "Seoul"), ("グアム", "Guam"), ("サンディエゴ", "San Diego"),
    ("ノーフォーク", "Norfolk"), ("アーリントン", "Arlington"), ("キャンプ座間", "Camp Zama"), ("朝霞", "Asaka"),
    ("呉", "Kure"), ("八戸", "Hachinohe"), ("千歳", "Chitose"), ("新田原", "Nyutabaru"), ("築城", "Tsuiki"),
    ("小松", "Komatsu"), ("百里", "Hyakuri"), ("入間", "Iruma"), ("浜松", "Hamamatsu"), ("春日", "Kasuga"),
    ("健軍", "Kengun"), ("名護", "Nago"), ("宜野湾", "Ginowan"), ("沖縄市", "Okinawa City"),
]
SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤", "スミス", "ジョンソン", "ブラウン", "ミラー", "デイビス"]
SURNAMES_EN = ["Yamada", "Sato", "Suzuki", "Takahashi", "Tanaka", "Ito", "Watanabe", "Nakamura", "Kobayashi", "Kato", "Smith", "Johnson", "Brown", "Miller", "Davis"]
LEVELS = ["minister", "vice", "senior", "dg", "director", "working"]


def copy_rows(model, columns, rows):
    """COPY rows into the model's table; columns are database column names. A column the
    rows do not give (the models grow; COPY leaves it NULL) gets its field's default, and
    a status "published"."""
    table = model._meta.db_table
    extra, values = [], []
    for f in model._meta.concrete_fields:
        if f.column in columns or f.primary_key or f.null or getattr(f, "generated", False):
            continue
        extra.append(f.column)
        values.append("published" if f.attname == "status" else f.get_default() if f.has_default() else "")
    columns = [*columns, *extra]
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row((*row, *values))


def next_id(model):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')
        return cursor.fetchone()[0]


def reset_sequence(model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))"
        )


class Command(BaseCommand):
    help = (
        "Add a synthetic registry of the given size (slugs start with 'synth-'), for benchmarks and "
        "load tests. Deterministic for a given --seed. Refuses a database holding real records "
        "unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--meetings", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--drafts", type=float, default=0.05, help="Share of records left as drafts.")
        parser.add_argument("--force", action="store_true", help="Add to a database that holds real data.")
        parser.add_argument("--replace", action="store_true", help="Delete earlier synthetic records first.")

    def handle(self, *args, meetings, seed, drafts, force, replace, **options):
        real = Source.objects.exclude(slug__startswith=PREFIX).exists() or Meeting.objects.exclude(
            slug__startswith=PREFIX
        ).exists()
        if real and not force:
            raise CommandError(
                "This database holds real registry data. Use a separate database "
                "(EMBEDDED_PG_DATABASE=bench …) or pass --force to add synthetic records beside it."
            )
        if Meeting.objects.filter(slug__startswith=PREFIX).exists() and not replace:
            raise CommandError("Synthetic records are already here; pass --replace to make them anew.")
        started = time.monotonic()
        rng = random.Random(seed)
        with transaction.atomic():
            if replace:
                self.delete_synthetic()
            counts = self.generate(rng, meetings, drafts)
        if not real:
            # Each bulk COPY (meetings, then attendees, then documents) recomputed every
            # export row it touched, leaving the tables two or three times their size (an
            # import that adds attendees to existing meetings does the same, and autovacuum
            # lets the space be reused): written anew once, they are compact. Not beside
            # real data (--force): the rewrite holds the export tables until it commits.
            maintained.rebuild(connection)
        with connection.cursor() as cursor:
            # VACUUM too, where it can run (not inside a test's transaction): the
            # visibility map lets index-only scans skip the rows.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        self.stdout.write(f"Synthetic registry (seed {seed}) in {elapsed:.1f}s: {summary}")

    def delete_synthetic(self):
        like = PREFIX + "%"
        with connection.cursor() as cursor:
            cursor.execute(
                'DELETE FROM alliance_citation WHERE key LIKE %s', [like]
            )
            for model in (Participation, MeetingDocument):
                cursor.execute(
                    f'DELETE FROM "{model._meta.db_table}" WHERE meeting_id IN (SELECT id FROM alliance_meeting WHERE slug LIKE %s)',
                    [like],
                )
            cursor.execute("UPDATE alliance_body SET established_at_id = NULL WHERE slug LIKE %s", [like])
            for model in (Meeting, Seat, Body, Agreement, Person, Post, Organization, Source):
                if model is Agreement:
                    cursor.execute(
                        "DELETE FROM alliance_agreement_parties WHERE agreement_id IN (SELECT id FROM alliance_agreement WHERE slug LIKE %s)",
                        [like],
                    )
                if model is Body:
                    cursor.execute("UPDATE alliance_body SET parent_id = NULL, predecessor_id = NULL WHERE slug LIKE %s", [like])
                cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE slug LIKE %s', [like])

    def generate(self, rng, n_meetings, draft_share):
        def status():
            return "draft" if rng.random() < draft_share else "published"

        def partial_date(low=1960, high=2025):
            year = rng.randint(low, high)
            roll = rng.random()
            if roll < 0.15:
                return f"{year}-01-01", "year"
            if roll < 0.45:
                return f"{year}-{rng.randint(1, 12):02d}-01", "month"
            return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "day"

        counts = {}
        source_id = next_id(Source)
        copy_rows(
            Source,
            ["id", "slug", "status", "title_ja", "title_en", "publisher_ja", "publisher_en", "edition", "year", "part", "file_name", "url", "licence"],
            [(source_id, f"{PREFIX}source", "published", "合成データ", "Synthetic data", "ベンチマーク", "Benchmark", "", 2026, "", "", "", "")],
        )

        # Organizations and posts.
        n_orgs, n_posts = 60, 240
        org0 = next_id(Organization)
        orgs = list(range(org0, org0 + n_orgs))
        copy_rows(
            Organization,
            ["id", "slug", "status", "note", "name_ja", "name_en", "abbreviation", "other_names", "kind", "country", "parent_id"],
            [
                (oid, f"{PREFIX}org-{i}", "published", "", f"{rng.choice(FIELDS_JA)}機関{i}", f"{rng.choice(FIELDS_EN)} Agency {i}", "", "", "agency", rng.choice(["jp", "us"]), None)
                for i, oid in enumerate(orgs)
            ],
        )
        post0 = next_id(Post)
        posts = list(range(post0, post0 + n_posts))
        copy_rows(
            Post,
            ["id", "slug", "status", "note", "name_ja", "name_en", "abbreviation", "other_names", "organization_id", "country"],
            [
                (pid, f"{PREFIX}post-{i}", "published", "", f"{rng.choice(FIELDS_JA)}担当官{i}", f"{rng.choice(FIELDS_EN)} Officer {i}", "", "", rng.choice(orgs), rng.choice(["jp", "us"]))
                for i, pid in enumerate(posts)
            ],
        )

        # People.
        n_people = max(100, n_meetings // 10)
        person0 = next_id(Person)
        people = list(range(person0, person0 + n_people))
        rows = []
        for i, pid in enumerate(people):
            k = rng.randrange(len(SURNAMES))
            rows.append((pid, f"{PREFIX}person-{i}", status(), "", f"{SURNAMES[k]}{i}", f"{SURNAMES_EN[k]} {i}", "", "jp" if k < 10 else "us"))
        copy_rows(Person, ["id", "slug", "status", "note", "name_ja", "name_en", "other_names", "country"], rows)

        # Agreements.
        n_agreements = max(50, n_meetings // 20)
        ag0 = next_id(Agreement)
        agreements = list(range(ag0, ag0 + n_agreements))
        rows = []
        for i, aid in enumerate(agreements):
            signed, sp = partial_date(1951, 2024)
            field_ja = rng.randrange(len(FIELDS_JA))
            in_force, ip = (None, "") if rng.random() < 0.4 else (str(int(signed[:4]) + 1) + "-01-01", "year")
            rows.append(
                (
                    aid, f"{PREFIX}agreement-{i}", status(), "", f"日米{FIELDS_JA[field_ja]}協定第{i}号", f"Japan-U.S. {FIELDS_EN[field_ja]} Agreement No. {i}",
                    "", "", rng.choice(["treaty", "agreement", "notes", "mou", "arrangement", "statement"]), "", "",
                    f"{FIELDS_JA[field_ja]}に関する合成の協定。", "", signed, sp, None, "", in_force, ip, None, "",
                )
            )
        copy_rows(
            Agreement,
            ["id", "slug", "status", "note", "name_ja", "name_en", "abbreviation", "other_names", "kind", "official_name_ja", "official_name_en",
             "summary_ja", "summary_en", "signed_date", "signed_precision", "approved_date", "approved_precision", "in_force_date", "in_force_precision", "ended_date", "ended_precision"],
            rows,
        )
        copy_rows(
            Agreement.parties.through,
            ["agreement_id", "organization_id"],
            [(aid, org) for aid in agreements for org in rng.sample(orgs, 2)],
        )

        # Bodies: a few trees.
        n_bodies = max(40, n_meetings // 250)
        body0 = next_id(Body)
        bodies = list(range(body0, body0 + n_bodies))
        rows = []
        for i, bid in enumerate(bodies):
            f, k = rng.randrange(len(FIELDS_JA)), rng.randrange(len(BODY_KINDS_JA))
            parent = bodies[rng.randrange(i)] if i >= 5 and rng.random() < 0.6 else None
            established, ep = partial_date(1960, 2015)
            rows.append(
                (
                    bid, f"{PREFIX}body-{i}", status() if i >= 5 else "published", "", f"日米{FIELDS_JA[f]}{BODY_KINDS_JA[k]}{i}",
                    f"Japan-U.S. {FIELDS_EN[f]} {BODY_KINDS_EN[k]} {i}", f"S{i}", "",
                    rng.choice(["consultation", "committee", "working_group", "dialogue", "group"]), rng.choice(LEVELS),
                    f"{FIELDS_JA[f]}分野の協力について協議する。", "", parent, established, ep, None, "", rng.choice(agreements), "第4条",
                    None, "", None, i,
                )
            )
        copy_rows(
            Body,
            ["id", "slug", "status", "note", "name_ja", "name_en", "abbreviation", "other_names", "kind", "level", "purpose_ja", "purpose_en",
             "parent_id", "established_date", "established_precision", "ended_date", "ended_precision", "legal_basis_id", "legal_basis_article",
             "established_at_id", "establishment_note", "predecessor_id", "position"],
            rows,
        )

        # Seats: about eight a body.
        seat0 = next_id(Seat)
        rows, sid = [], seat0
        for b_index, bid in enumerate(bodies):
            for j in range(8):
                member = rng.random()
                post, org, person = (rng.choice(posts), None, None) if member < 0.6 else (None, rng.choice(orgs), None) if member < 0.9 else (None, None, rng.choice(people))
                rows.append(
                    (sid, f"{PREFIX}seat-{b_index}-{j}", status(), "", bid, "jp" if j % 2 == 0 else "us", post, org, person,
                     rng.choice(["代表", "議長", "構成員", ""]), rng.choice(LEVELS), rng.random() < 0.3, j, None, "", None, "")
                )
                sid += 1
        copy_rows(
            Seat,
            ["id", "slug", "status", "note", "body_id", "side", "post_id", "organization_id", "person_id", "role", "level", "as_needed", "position",
             "start_date", "start_precision", "end_date", "end_precision"],
            rows,
        )

        # Meetings, each with attendees, sometimes a document, and a citation.
        meeting0 = next_id(Meeting)
        meeting_rows, attendee_rows, document_rows, citation_rows = [], [], [], []
        kinds = ["2plus2", "summit", "defense", "foreign", "officials", "working", "call"]
        for i in range(n_meetings):
            mid = meeting0 + i
            f = rng.randrange(len(FIELDS_JA))
            start, sp = partial_date(1960, 2025)
            place = rng.choice(PLACES)
            meeting_rows.append(
                (
                    mid, f"{PREFIX}meeting-{i}", status(), "", f"日米{FIELDS_JA[f]}会合 第{i}回", f"Japan-U.S. {FIELDS_EN[f]} Meeting {i}", "", "",
                    rng.choice(bodies), rng.choice(kinds), rng.randint(1, 60) if rng.random() < 0.5 else None, start, sp, None, "",
                    place[0], place[1], f"{place[0]}で{FIELDS_JA[f]}分野の協力について意見交換を行った。", "", "協力の推進で一致\n次回会合の開催で一致", "",
                )
            )
            for position in range(1, rng.randint(2, 5) + 1):
                attendee_rows.append((mid, position, "jp" if position % 2 else "us", rng.choice(people), rng.choice(posts), None, "", ""))
            if rng.random() < 0.1:
                document_rows.append((mid, rng.choice(agreements), rng.choice(["signed", "issued", "approved"])))
            citation_rows.append(
                (f"{PREFIX}{uuid.UUID(int=rng.getrandbits(128)).hex}", source_id, "合成", f"日米{FIELDS_JA[f]}会合", "", mid)
            )
        copy_rows(
            Meeting,
            ["id", "slug", "status", "note", "name_ja", "name_en", "abbreviation", "other_names", "body_id", "kind", "session_number",
             "start_date", "start_precision", "end_date", "end_precision", "place_ja", "place_en", "summary_ja", "summary_en", "outcomes_ja", "outcomes_en"],
            meeting_rows,
        )
        copy_rows(
            Participation,
            ["meeting_id", "position", "side", "person_id", "post_id", "organization_id", "name_text", "role"],
            attendee_rows,
        )
        # One document per (meeting, kind, agreement).
        seen, unique_docs = set(), []
        for row in document_rows:
            if row not in seen:
                seen.add(row)
                unique_docs.append(row)
        copy_rows(MeetingDocument, ["meeting_id", "agreement_id", "kind"], unique_docs)
        copy_rows(Citation, ["key", "source_id", "locator", "quote", "field", "meeting_id"], citation_rows)
        for model in (Source, Organization, Post, Person, Agreement, Body, Seat, Meeting, Participation, MeetingDocument, Citation):
            reset_sequence(model)
        counts.update(
            meetings=n_meetings,
            attendees=len(attendee_rows),
            documents=len(unique_docs),
            citations=len(citation_rows),
            bodies=n_bodies,
            seats=sid - seat0,
            agreements=n_agreements,
            people=n_people,
        )
        return counts
