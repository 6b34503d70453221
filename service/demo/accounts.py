"""Visits of the demo accounts a newcomer signs in with (`mshop serve --demo`).

The generator's visits belong to accounts nobody can sign in as; these belong to the README's
accounts, so each has something to try at once: shopper1 an assigned, an in-progress and a
returned visit of their own (and a submitted one), the coordinator a review queue.

They are made through the real services (assignment checks, answer sync, photo upload and
processing, the submit gate, review), so the demo follows the rules as they change. Which
services, answers and pictures are chosen is fixed by the seed; the windows are around "now"
so the open visits can be worked on today.
"""

import datetime as dt
import io
import random
import uuid
from dataclasses import dataclass

from PIL import Image, ImageDraw
from sqlmodel import Session, col, select

from service.answers.schemas import AnswerIn
from service.auth import repository as auth_repository
from service.auth.models import User
from service.auth.roles import Role
from service.calendar import service as calendar_service
from service.checklists.format import ChecklistChannel, ResolvedChecklist
from service.checklists.pinned import checklist_for_visit
from service.config import Settings
from service.demo.answers import answers_for
from service.demo.plan import PREFIX, find_or_add_office
from service.isotime import LOCAL_OFFSET, local_date
from service.offices.regions import REGION_NAMES_RU, Region
from service.photos import processing
from service.photos import reads as photo_reads
from service.photos import service as photos_service
from service.standards import service as standards_service
from service.storage.objects import ObjectStore
from service.visits import assignments, lifecycle, writes
from service.visits.models import Visit
from service.visits.schemas import ReviewRequest, SubmitRequest, VisitCreate
from service.visits.transitions import ReviewAction

DEMO_ACCOUNTS = (
    ("admin@demo.kz", "Demo Admin", Role.admin),
    ("coordinator@demo.kz", "Demo Coordinator", Role.coordinator),
    ("shopper1@demo.kz", "Demo Shopper One", Role.shopper),
    ("shopper2@demo.kz", "Demo Shopper Two", Role.shopper),
    ("analyst@demo.kz", "Demo Analyst", Role.analyst),
)
SHOPPER, OTHER_SHOPPER, COORDINATOR = "shopper1@demo.kz", "shopper2@demo.kz", "coordinator@demo.kz"
# The window opens this long before "now" (the visit's answered times fall after it) and stays
# open this long after, so the open visits can be worked on for days.
OPENED_BEFORE = dt.timedelta(hours=10)
OPEN_FOR = dt.timedelta(days=7)
RETURN_COMMENT = (
    "Фото талона нечитаемо, а время ожидания не сходится с талоном: переснимите талон, "
    "проверьте время ожидания и отправьте снова."
)
# (status, shopper, notes): what each account finds, and a hint of what to do with it.
PLAN = (
    ("assigned", SHOPPER, "Демо: начните визит, ответьте на вопросы, загрузите фото, отправьте."),
    ("in_progress", SHOPPER, "Демо: визит начат, часть ответов уже есть; закончите и отправьте."),
    ("returned", SHOPPER, "Демо: координатор вернул визит с комментарием; исправьте и отправьте."),
    ("submitted", SHOPPER, "Демо: визит отправлен и ждёт проверки координатором."),
    ("submitted", OTHER_SHOPPER, "Демо: визит отправлен и ждёт проверки координатором."),
)


@dataclass(frozen=True)
class _Context:
    session: Session
    store: ObjectStore
    settings: Settings
    coordinator: User
    office_id: int
    now: dt.datetime


def picture(seed: str, taken: dt.datetime) -> bytes:
    """A small JPEG, different for each seed, with the EXIF a phone writes (time, device)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), (rng.randrange(256), rng.randrange(256), 200))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(600), rng.randrange(440)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 160)), colour)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Demo", "Phone"  # Make, Model
    local = taken.astimezone(LOCAL_OFFSET)
    # DateTimeOriginal and OffsetTimeOriginal, in the Exif sub-IFD.
    exif.get_ifd(0x8769).update({0x9003: f"{local:%Y:%m:%d %H:%M:%S}", 0x9011: "+05:00"})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif.tobytes())
    return out.getvalue()


def _answer(ctx: _Context, visit: Visit, shopper: User, rng: random.Random, share: float) -> None:
    """Answer the first ``share`` of the items as a shopper's phone would."""
    checklist: ResolvedChecklist = checklist_for_visit(ctx.session, visit)
    standard = standards_service.body_of(
        standards_service.get_standard_by_id(ctx.session, visit.standard_id)
    )
    start = visit.window_start_at
    drawn = answers_for(
        checklist,
        standard,
        rng=rng,
        quality=0.9,
        start=start,
        calendar=calendar_service.working_calendar(ctx.session),
        today=local_date(ctx.now),
    )
    items = list(drawn.items())[: max(1, round(len(drawn) * share))]
    answers = [
        AnswerIn(
            client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            item_code=code,
            value=value,
            na=na,
            answered_at=min(ctx.now, start + dt.timedelta(minutes=5 + n)),
        )
        for n, (code, (value, na)) in enumerate(items)
    ]
    writes.sync_answers(
        ctx.session,
        visit.id,  # the same object, started in place: one identity per session
        shopper,
        answers,
        now=ctx.now,
        max_batch=max(len(answers), ctx.settings.limits.max_batch_answers),
        keep_versions=ctx.settings.limits.answer_versions_per_item,
    )


def _photograph(ctx: _Context, visit: Visit, shopper: User, rng: random.Random) -> None:
    """Upload every photo the checklist still requires, processed as a phone's would be."""
    for row in photo_reads.visit_photos(ctx.session, visit, shopper).items:
        for n in range(row.missing):
            taken = ctx.now - dt.timedelta(minutes=30 - n)
            # Uploads commit what came before them (see db.release): flush it first.
            ctx.session.flush()
            source = io.BytesIO(picture(f"{rng.random()}:{row.item_code}:{n}", taken))
            photo, _ = photos_service.upload(
                ctx.session,
                ctx.store,
                visit,
                shopper,
                writes.ShopperWrite(ctx.session, visit, shopper, ctx.now),
                source=source,
                item_code=row.item_code,
                taken_at=taken,
                client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                settings=ctx.settings.upload,
                now=ctx.now,
            )
            # Ready before the visit is submitted below, in this same transaction.
            processing.process_inline(
                ctx.session,
                ctx.store,
                photo,
                visit,
                source,
                upload=ctx.settings.upload,
                now=ctx.now,
            )


def _visit(
    ctx: _Context, status: str, shopper: User, notes: str, service: str, rng: random.Random
) -> Visit:
    start = ctx.now.replace(minute=0, second=0, microsecond=0) - OPENED_BEFORE
    visit, _ = assignments.assign(
        ctx.session,
        ctx.coordinator,
        VisitCreate(
            service_code=service,
            office_id=ctx.office_id,
            shopper_id=shopper.id,
            channel=ChecklistChannel.in_person,
            window_start_at=start,
            window_end_at=ctx.now + OPEN_FOR,
            notes=notes,
            wave="demo",
        ),
        now=ctx.now,
    )
    if status == "assigned":
        return visit
    lifecycle.start(ctx.session, visit, shopper, now=ctx.now)
    _answer(ctx, visit, shopper, rng, share=0.4 if status == "in_progress" else 1.0)
    if status == "in_progress":
        return visit
    _photograph(ctx, visit, shopper, rng)
    submit = SubmitRequest(client_id=uuid.uuid4(), submitted_at=ctx.now)
    lifecycle.submit(
        ctx.session,
        visit,
        shopper,
        submit,
        now=ctx.now,
        skew_warn_seconds=ctx.settings.limits.clock_skew_warn_seconds,
    )
    if status == "returned":
        review = ReviewRequest(
            client_id=uuid.uuid4(), action=ReviewAction.return_, comment=RETURN_COMMENT
        )
        lifecycle.review(ctx.session, visit, ctx.coordinator, review, now=ctx.now)
    return visit


def seed_account_visits(
    session: Session, store: ObjectStore, settings: Settings, *, now: dt.datetime, seed: int = 1
) -> list[Visit]:
    """Give the demo accounts visits of their own, unless shopper1 already has some.

    The demo accounts (``DEMO_ACCOUNTS``) must exist, and the catalogue and checklists be
    loaded. Returns the visits made (none when shopper1 had visits already).
    """
    users = {email: auth_repository.get_by_email(session, email) for email, _, _ in DEMO_ACCOUNTS}
    shopper, coordinator = users[SHOPPER], users[COORDINATOR]
    if shopper is None or coordinator is None:
        raise LookupError(f"create the demo accounts ({SHOPPER}, {COORDINATOR}) first")
    if session.exec(select(Visit.id).where(col(Visit.shopper_id) == shopper.id)).first():
        return []
    region = Region.astana
    office_id = find_or_add_office(
        session, f"{PREFIX}: ЦОН, {REGION_NAMES_RU[region]}", "con", region
    )
    ctx = _Context(session, store, settings, coordinator, office_id, now)
    rng = random.Random(f"{seed}:accounts")
    today = local_date(now)
    codes = sorted(row.service_code for row in standards_service.all_in_force(session, today))
    made = []
    for (status, email, notes), service in zip(PLAN, rng.sample(codes, len(PLAN)), strict=True):
        owner = users[email]
        assert owner is not None
        made.append(_visit(ctx, status, owner, notes, service, rng))
    return made
