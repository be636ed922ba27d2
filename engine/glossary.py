"""English and Swedish labels for the contract's vocabulary, as data.

One place where every name of the public contract (``engine/vocabulary.py``) gets the
short words a person reads: in a form, a decision page, a comparison matrix. Each
:class:`Label` holds an English and a Swedish label and, for actions and facts, one
sentence of help for a form field or a hover. Nothing here changes what a name means;
the vocabulary stays the only definition, and a test checks that every name of it has
a label here.

Keys:

- ``action:<action>``: what a request asks about (``action:like_page``).
- ``fact:<action>.<fact>``: a fact or derived fact of an action; the help says what to
  answer, a yes/no fact's help being the question the form asks.
- ``value:<type>.<value>``: a value of an enum type reachable from facts and topics
  (``value:role.manager``, ``value:custodian.central_storage``); a role has one label
  under both.
- ``field:<type>.<field>``: a field of a record type (``field:likes.allow``).
- ``topic:<topic>``: a topic's title, written as a heading (capitalised, both languages):
  the vocabulary's topics and those the comparison derives (:data:`DERIVED_TOPICS`).
- ``outcome:<outcome>`` and ``level:<level>``: the words of a decision.
- ``word:<word>``: words a view puts around them. The decision page and the comparison
  matrix need ``not_regulated``, ``only``, ``all_but``, ``none``, ``and``, ``or``,
  ``by_default``, ``decision``, ``outcome``, ``action``, ``fact``, ``facts``, ``step``,
  ``steps``, ``must_steps``, ``should_steps``, ``by``, ``reason``, ``reasons``, ``rule``,
  ``level``, ``source``, ``section``, ``sentence``, ``sentences``, ``pack``,
  ``guideline``, ``topic``, ``summary``, ``comparison``, ``municipality``, ``document``,
  ``version``, ``dated``, ``undated``, ``in_force``, ``date``, ``applies``,
  ``does_not_apply``, ``hours``, ``yes``, ``no``, ``missing`` (a fact left out of a
  request) and ``unknown``.

The fixed phrases of the views (the desk's, ``policy explain``'s) are beside this module,
in ``engine.phrases``, in the same :class:`Label` form.

Labels other than topic titles are lower case unless they start with a proper noun, and
never end with a full stop; help is a whole sentence and does. :func:`label` and
:func:`help_text` read the mapping in either language.
"""

from __future__ import annotations

import re
from typing import Mapping

import attrs

#: The languages a label is written in.
LANGUAGES = ("sv", "en")


@attrs.frozen
class Label:
    """A name as people read it: a short label and one sentence of help, in English and
    Swedish (keys as the module says; plugins give theirs in their vocabulary)."""

    en: str            # short English label, lower case unless a proper noun
    sv: str = ""       # short Swedish label, as a Swedish communicator would say it
    help_en: str = ""  # one sentence of help for a form field or a hover
    help_sv: str = ""  # the same in Swedish




# ---- actions ---------------------------------------------------------------------------

_ACTIONS: Mapping[str, Label] = {
    "create_channel": Label(
        "start a new channel", "starta en ny kanal",
        "Starting a new social media account or channel for a part of the municipality.",
        "Att starta ett nytt konto eller en ny kanal i sociala medier för en del av "
        "kommunens verksamhet."),
    "like_page": Label(
        "like a page", "gilla en sida",
        "The municipality's account likes or follows another page.",
        "Kommunens konto gillar eller följer en annan sida."),
    "delete_comment": Label(
        "remove a comment", "ta bort en kommentar",
        "Removing or unpublishing a visitor's comment on one of the municipality's channels.",
        "Att ta bort eller avpublicera en besökares kommentar i någon av kommunens kanaler."),
    "use_private_account": Label(
        "use a private account for work", "använda ett privat konto i tjänsten",
        "An employee uses a private account in connection with their work.",
        "En medarbetare använder ett privat konto i samband med arbetet."),
    "private_use_at_work": Label(
        "private use during working hours", "privat användning på arbetstid",
        "An employee uses social media for private purposes during working hours.",
        "En medarbetare använder sociala medier privat under arbetstid."),
    "publish_post": Label(
        "publish a post", "publicera ett inlägg",
        "The municipality publishes a post on one of its own channels.",
        "Kommunen publicerar ett inlägg i en av sina egna kanaler."),
    "audit_channel": Label(
        "follow up a channel", "följa upp en kanal",
        "A recurring check that a running channel is documented, listed and looked after.",
        "En återkommande kontroll av att en kanal i drift dokumenteras, finns förtecknad "
        "och sköts."),
    "answer_question": Label(
        "answer a question", "svara på en fråga",
        "Answering a question a visitor asked on one of the municipality's channels.",
        "Att svara på en fråga som en besökare ställt i någon av kommunens kanaler."),
    "close_channel": Label(
        "close a channel", "avsluta en kanal",
        "Shutting down one of the municipality's channels.",
        "Att stänga ner en av kommunens kanaler."),
}


# ---- facts -----------------------------------------------------------------------------

_SUBSTITUTE = Label(
    "substitute appointed", "ersättare utsedd",
    "Has someone been named to stand in when the responsible person is away?",
    "Har någon utsetts att ersätta den ansvariga vid frånvaro?")

_LISTED = Label(
    "listed on the website", "förtecknad på webbplatsen",
    "Is the channel on the public list of channels on the municipality's website?",
    "Finns kanalen med i förteckningen över kanaler på kommunens webbplats?")

_FACTS: Mapping[str, Label] = {
    # create_channel
    "create_channel.account_type": Label(
        "account type", "kontotyp",
        "Choose whether the account is for an organisation or authority, or a private "
        "person's account.",
        "Välj om kontot är ett konto för en organisation eller myndighet eller en "
        "privatpersons konto."),
    "create_channel.platform": Label(
        "platform", "plattform",
        "The service the channel is on, such as Facebook or Instagram; for information only.",
        "Tjänsten som kanalen finns på, till exempel Facebook eller Instagram; anges bara "
        "som information."),
    "create_channel.approved_by": Label(
        "approved by", "godkänd av",
        "Choose everyone who has approved starting the channel.",
        "Välj alla som har godkänt att kanalen startas."),
    "create_channel.informed": Label(
        "informed", "informerade",
        "Choose everyone who has been told about the channel or sent its details.",
        "Välj alla som har informerats om kanalen eller fått uppgifterna om den."),
    "create_channel.responsible_appointed": Label(
        "responsible person appointed", "ansvarig utsedd",
        "Has a named person been made responsible for the channel?",
        "Har en namngiven person utsetts som ansvarig för kanalen?"),
    "create_channel.substitute_appointed": _SUBSTITUTE,
    "create_channel.purpose_defined": Label(
        "purpose and audience written down", "syfte och målgrupp beskrivna",
        "Have the channel's purpose and target audience been written down?",
        "Har kanalens syfte och målgrupp skrivits ner?"),
    "create_channel.admin_count": Label(
        "number of administrators", "antal administratörer",
        "Enter how many people administer the account.",
        "Ange hur många personer som administrerar kontot."),
    "create_channel.credentials_held_by": Label(
        "login details given to", "inloggningsuppgifter lämnade till",
        "Choose everyone who has been given the login details or admin rights.",
        "Välj alla som har fått inloggningsuppgifter eller administratörsrättigheter."),
    "create_channel.credentials_in_central_storage": Label(
        "login details in central storage", "inloggningsuppgifter på central lagringsplats",
        "Are the login details kept in the municipality's shared central storage?",
        "Finns inloggningsuppgifterna sparade på kommunens gemensamma lagringsplats?"),
    "create_channel.activity_plan_filed": Label(
        "activity plan handed in", "aktivitetsplan inlämnad",
        "Has an activity plan for the account been filled in and handed in?",
        "Har en aktivitetsplan för kontot fyllts i och lämnats in?"),
    "create_channel.applied_via_eservice": Label(
        "applied for through the e-service", "ansökan gjord via e-tjänsten",
        "Was the new channel applied for through the internal e-service?",
        "Har ansökan om den nya kanalen gjorts via den interna e-tjänsten?"),
    "create_channel.listed_on_website": _LISTED,
    "create_channel.follows_graphic_profile": Label(
        "follows the graphic profile", "följer den grafiska profilen",
        "Do the channel's name, logo and look follow the municipality's graphic profile?",
        "Följer kanalens namn, logotyp och utseende kommunens grafiska profil?"),
    "create_channel.visitor_information_published": Label(
        "information for visitors published", "information till besökarna publicerad",
        "Does the channel tell visitors who runs it, what it is for, that posts become "
        "public records, what is removed and whom to contact?",
        "Får besökarna veta vem som driver kanalen, vad den är till för, att inlägg blir "
        "allmänna handlingar, vad som tas bort och vem de kan kontakta?"),
    "create_channel.credential_holders": Label(
        "login details held by", "inloggningsuppgifterna finns hos",
        "Worked out, not asked: those given the login details, and central storage when "
        "the details are kept there.",
        "Räknas fram och fylls inte i: de som har fått inloggningsuppgifterna, och den "
        "centrala lagringsplatsen när uppgifterna sparas där."),
    # like_page
    "like_page.page_category": Label(
        "kind of page", "typ av sida",
        "Choose the kind of page the municipality's account would like or follow.",
        "Välj vilken typ av sida kommunens konto ska gilla eller följa."),
    # delete_comment
    "delete_comment.content_category": Label(
        "kind of content", "typ av innehåll",
        "Choose what the comment is, for example a personal attack, advertising or a "
        "question.",
        "Välj vad kommentaren innehåller, till exempel personangrepp, reklam eller en "
        "fråga."),
    "delete_comment.content_saved": Label(
        "content saved", "innehållet sparat",
        "Has the comment's content been saved?",
        "Har kommentarens innehåll sparats?"),
    "delete_comment.author_saved": Label(
        "sender saved", "avsändaren sparad",
        "Has information about who wrote the comment been saved?",
        "Har uppgifter om vem som skrev kommentaren sparats?"),
    "delete_comment.registered": Label(
        "registered", "diarieförd",
        "Has the comment been registered in the municipality's records?",
        "Har kommentaren diarieförts?"),
    # use_private_account
    "use_private_account.purpose": Label(
        "purpose", "syfte",
        "Choose what the private account is used for.",
        "Välj vad det privata kontot används till."),
    # private_use_at_work
    "private_use_at_work.during_break": Label(
        "during a break", "under rast",
        "Does the use happen during a regular break, such as a coffee or lunch break?",
        "Sker användningen under en ordinarie rast, till exempel fika- eller lunchrast?"),
    "private_use_at_work.department_head_permits": Label(
        "allowed by the department head", "tillåtet av förvaltningschefen",
        "Has the department head decided to allow it?",
        "Har förvaltningschefen beslutat att tillåta det?"),
    # publish_post
    "publish_post.contains_confidential": Label(
        "confidential information", "sekretessbelagda uppgifter",
        "Does the post contain confidential or otherwise sensitive information?",
        "Innehåller inlägget sekretessbelagda eller andra känsliga uppgifter?"),
    "publish_post.contains_offensive_personal_data": Label(
        "offensive personal data", "kränkande personuppgifter",
        "Does the post contain personal data that could offend the person it is about?",
        "Innehåller inlägget personuppgifter som kan vara kränkande för den som berörs?"),
    "publish_post.image_source": Label(
        "image source", "bildkälla",
        "Choose where the post's images come from.",
        "Välj var inläggets bilder kommer ifrån."),
    "publish_post.concerns_individual_case": Label(
        "about an individual's case", "rör ett enskilt ärende",
        "Does the post discuss how a particular person's case is being handled?",
        "Tar inlägget upp handläggningen av en enskild persons ärende?"),
    "publish_post.political_content": Label(
        "party-political content", "partipolitiskt innehåll",
        "Does the post take a party-political position?",
        "Tar inlägget partipolitisk ställning?"),
    # audit_channel
    "audit_channel.last_snapshot_on": Label(
        "last snapshot", "senaste ögonblicksbild",
        "The date a snapshot of the channel was last archived; leave it empty if never.",
        "Datum då en ögonblicksbild av kanalen senast arkiverades; lämna tomt om det "
        "aldrig har gjorts."),
    "audit_channel.major_change_planned": Label(
        "major change planned", "större förändring planerad",
        "Is a larger change of the channel about to happen?",
        "Står kanalen inför en större förändring?"),
    "audit_channel.days_since_last_post": Label(
        "days since the last post", "dagar sedan senaste inlägget",
        "How many days the channel has gone without a new post; leave it empty if not "
        "known.",
        "Hur många dagar kanalen har varit utan nytt inlägg; lämna tomt om det inte är "
        "känt."),
    "audit_channel.monitored_daily": Label(
        "monitored daily", "bevakas dagligen",
        "Are the comments looked over every working day?",
        "Går någon igenom kommentarerna varje arbetsdag?"),
    "audit_channel.substitute_appointed": _SUBSTITUTE,
    "audit_channel.listed_on_website": _LISTED,
    # close_channel
    "answer_question.asked_at": Label(
        "asked at", "frågan ställdes",
        "When did the visitor ask the question (date and time, Swedish time)?",
        "När ställde besökaren frågan (datum och klockslag, svensk tid)?"),
    "answer_question.answered_at": Label(
        "answered at", "frågan besvarades",
        "When was the question answered? Leave it out if it has not been answered yet.",
        "När besvarades frågan? Lämna tomt om den inte har besvarats ännu."),
    "answer_question.acknowledged": Label(
        "told an answer will come", "besked om att svar kommer",
        "Has the visitor been told that an answer will come?",
        "Har besökaren fått besked om att svar kommer?"),
    "answer_question.needs_other_unit": Label(
        "needs another unit", "kräver annan verksamhet",
        "Is the question one that only another unit or a case officer can answer?",
        "Är frågan sådan att bara en annan verksamhet eller en handläggare kan svara?"),
    "answer_question.forwarded": Label(
        "passed on", "vidarebefordrad",
        "Has the question been passed on to those responsible for the matter?",
        "Har frågan skickats vidare till dem som ansvarar för ärendet?"),
    "answer_question.political": Label(
        "party-political question", "partipolitisk fråga",
        "Is it a question of party politics?",
        "Gäller frågan partipolitik?"),
    "answer_question.referred_to_parties": Label(
        "referred to the parties", "hänvisad till partierna",
        "Has the visitor been referred to the political parties?",
        "Har besökaren hänvisats till de politiska partierna?"),
    "answer_question.signed": Label(
        "answer signed", "svaret undertecknat",
        "Is the answer signed with the writer's first name and title?",
        "Är svaret undertecknat med förnamn och titel?"),
    "answer_question.office_hours_to_answer": Label(
        "office hours to answer", "kontorstimmar till svar",
        "Office hours (08-17 on weekdays, public holidays not counted) from the question "
        "to its answer, or to now while it is unanswered.",
        "Kontorstimmar (08–17 på vardagar, helgdagar räknas inte) från frågan till svaret, "
        "eller till nu så länge den är obesvarad."),
    "close_channel.manager_consulted": Label(
        "manager consulted", "samråd med chefen",
        "Has the manager been consulted about closing the channel?",
        "Har samråd skett med chefen om att avsluta kanalen?"),
    "close_channel.communicator_consulted": Label(
        "communicator consulted", "samråd med kommunikatören",
        "Has the communicator been consulted about closing the channel?",
        "Har samråd skett med kommunikatören om att avsluta kanalen?"),
    "close_channel.farewell_post_published": Label(
        "farewell post published", "avslutande inlägg publicerat",
        "Has a post been published that tells followers why the channel closes and "
        "thanks them?",
        "Har ett inlägg publicerats som berättar för följarna varför kanalen stängs och "
        "tackar dem?"),
}


# ---- values of enum types --------------------------------------------------------------

#: The roles, labelled once for the enums role and custodian.
_ROLES: Mapping[str, Label] = {
    "manager": Label("manager", "chef"),
    "department_head": Label("department head", "förvaltningschef"),
    "communicator": Label("communicator", "kommunikatör"),
    "communications_unit": Label("communications unit", "kommunikationsenhet"),
    "communications_director": Label("communications director", "kommunikationschef"),
    "information_officer": Label("information officer", "informationsansvarig"),
    "website_owner": Label("person responsible for the website", "webbplatsansvarig"),
}

_VALUES: Mapping[str, Label] = {
    **{f"role.{v}": lab for v, lab in _ROLES.items()},
    **{f"custodian.{v}": lab for v, lab in _ROLES.items()},
    "custodian.central_storage": Label("central storage", "central lagringsplats"),
    "account_type.organisation": Label("organisation account", "organisationskonto"),
    "account_type.private": Label("private account", "privat konto"),
    "page_category.own": Label("own pages", "egna sidor"),
    "page_category.municipality": Label("other municipalities", "andra kommuner"),
    "page_category.authority": Label("authorities", "myndigheter"),
    "page_category.local_association": Label("local associations", "lokala föreningar"),
    "page_category.cultural_institution": Label("cultural institutions",
                                                "kulturinstitutioner"),
    "page_category.local_project": Label("local projects", "lokala projekt"),
    "page_category.commercial": Label("companies", "företag"),
    "page_category.political_party": Label("political parties", "politiska partier"),
    "page_category.other": Label("other pages", "övriga sidor"),
    "content_category.defamation": Label("defamation", "förtal"),
    "content_category.personal_attack": Label("personal attacks", "personangrepp"),
    "content_category.hate_speech": Label("hate speech", "hets mot folkgrupp"),
    "content_category.harassment": Label("harassment", "trakasserier"),
    "content_category.violence": Label("depictions of violence", "våldsskildringar"),
    "content_category.pornography": Label("pornography", "pornografi"),
    "content_category.incitement_to_crime": Label("incitement to crime",
                                                  "uppmaningar till brott"),
    "content_category.profanity": Label("profanity", "svordomar"),
    "content_category.copyright_infringement": Label("copyright infringement",
                                                     "intrång i upphovsrätt"),
    "content_category.advertising": Label("advertising", "reklam"),
    "content_category.confidential_information": Label("confidential information",
                                                       "sekretessbelagda uppgifter"),
    "content_category.offensive_personal_data": Label("offensive personal data",
                                                      "kränkande personuppgifter"),
    "content_category.off_topic": Label("off topic", "utanför ämnet"),
    "content_category.minor_importance": Label("of minor importance",
                                               "av ringa betydelse"),
    "content_category.criticism": Label("criticism", "kritik"),
    "content_category.question": Label("questions", "frågor"),
    "purpose.official_communication": Label("official communication",
                                            "kommunikation i tjänsten"),
    "purpose.client_contact": Label("contact with clients",
                                    "kontakt med kunder och brukare"),
    "purpose.closed_professional_network": Label("closed professional network",
                                                 "slutet professionellt nätverk"),
    "purpose.answer_work_question": Label("answering a work question",
                                          "svar på en fråga om arbetet"),
    "image_source.none": Label("no images", "inga bilder"),
    "image_source.own_archive": Label("own image archive", "kommunens eget bildarkiv"),
    "image_source.licensed_agency": Label("image agency under licence",
                                          "bildbyrå med abonnemang"),
    "image_source.creator_consent": Label("with the creator's consent",
                                          "med upphovspersonens godkännande"),
    "image_source.unlicensed": Label("without permission", "utan tillstånd"),
    "interval.half_yearly": Label("every six months", "varje halvår"),
    "interval.yearly": Label("every year", "varje år"),
    "break_use.breaks_only": Label("during breaks only", "endast på raster"),
    "break_use.department_head_decides": Label("department head decides",
                                               "förvaltningschefen beslutar"),
    "break_use.allowed": Label("allowed", "tillåten"),
}

_FIELDS: Mapping[str, Label] = {
    "likes.allow": Label("may like", "får gillas"),
    "likes.deny": Label("may not like", "får inte gillas"),
}


# ---- topics, outcomes, levels ----------------------------------------------------------

_TOPICS: Mapping[str, Label] = {
    "channel_approver": Label("Who approves a new channel", "Vem godkänner en ny kanal"),
    "credential_custody": Label("Who holds the login details",
                                "Vem har inloggningsuppgifterna"),
    "snapshot_interval": Label("How often a snapshot is archived",
                               "Hur ofta en ögonblicksbild arkiveras"),
    "allowed_likes": Label("Which pages the municipality may like",
                           "Vilka sidor kommunen får gilla"),
    "break_time_use": Label("Private use of social media at work",
                            "Privat användning av sociala medier på arbetstid"),
    "response_time": Label("Time limit for answering questions",
                           "Tidsgräns för att svara på frågor"),
}

#: The topics the comparison derives from the packs' rules rather than reads from a
#: setting (``engine.explain.comparison.DERIVED``): their titles are here too, so that
#: every topic a view shows has its words in both languages.
DERIVED_TOPICS: Mapping[str, Label] = {
    "new_channel": Label("What a new channel must have", "Vad en ny kanal ska ha"),
    "removal_grounds": Label("Grounds for removing a comment",
                             "Skäl att ta bort en kommentar"),
    "removal_steps": Label("What must happen before a comment is removed",
                           "Vad som ska göras innan en kommentar tas bort"),
    "image_rights": Label("Where a post's images may come from",
                          "Varifrån ett inläggs bilder får komma"),
    "private_accounts": Label("Private accounts used for work", "Privata konton i tjänsten"),
    "closing_channel": Label("Closing a channel", "Att avsluta en kanal"),
}

_OUTCOMES: Mapping[str, Label] = {
    "allow": Label("allowed", "tillåtet"),
    "deny": Label("not allowed", "inte tillåtet"),
    "required_steps": Label("steps required", "kräver åtgärder",
                            "Allowed once the listed steps are done.",
                            "Tillåtet när de angivna åtgärderna är gjorda."),
}

_LEVELS: Mapping[str, Label] = {
    "must": Label("must", "ska", "A duty: the guideline or the law requires it.",
                  "Ett krav: riktlinjen eller lagen kräver det."),
    "should": Label("should", "bör", "A recommendation: the guideline expects it done.",
                    "En rekommendation: riktlinjen förväntar sig att det görs."),
}


# ---- the words around them -------------------------------------------------------------

_WORDS: Mapping[str, Label] = {
    "not_regulated": Label("not regulated", "inte reglerat",
                           "The guideline says nothing on this.",
                           "Riktlinjen säger ingenting om detta."),
    "only": Label("only", "endast"),
    "all_but": Label("all but", "alla utom"),
    "none": Label("none", "ingen"),
    "and": Label("and", "och"),
    "or": Label("or", "eller"),
    "by_default": Label("by default", "som standard",
                        "No rule spoke to the request, so the pack's default outcome "
                        "applies.",
                        "Ingen regel tar upp det som prövas, så regelpaketets "
                        "standardutfall gäller."),
    "decision": Label("decision", "besked"),
    "outcome": Label("outcome", "utfall"),
    "action": Label("action", "aktivitet"),
    "fact": Label("fact", "uppgift"),
    "facts": Label("facts", "uppgifter"),
    "step": Label("step", "åtgärd"),
    "steps": Label("steps", "åtgärder"),
    "must_steps": Label("required steps", "åtgärder som ska göras"),
    "should_steps": Label("recommended steps", "åtgärder som bör göras"),
    "by": Label("done by", "görs av"),
    "reason": Label("reason", "skäl"),
    "reasons": Label("reasons", "skäl"),
    "rule": Label("rule", "regel"),
    "level": Label("level", "kravnivå"),
    "source": Label("source", "källa"),
    "section": Label("section", "avsnitt"),
    "sentence": Label("sentence", "mening"),
    "sentences": Label("sentences", "meningar"),
    "pack": Label("rule pack", "regelpaket"),
    "guideline": Label("guideline", "riktlinje"),
    "topic": Label("topic", "ämne"),
    "summary": Label("summary", "sammanfattning"),
    "comparison": Label("comparison", "jämförelse"),
    "municipality": Label("municipality", "kommun"),
    "document": Label("document", "dokument"),
    "version": Label("version", "version"),
    "dated": Label("dated", "daterad"),
    "undated": Label("undated", "odaterad"),
    "in_force": Label("in force from", "gäller från"),
    "date": Label("date", "datum"),
    "applies": Label("applies", "gäller"),
    "does_not_apply": Label("does not apply", "gäller inte"),
    "hours": Label("hours", "timmar"),
    "yes": Label("yes", "ja"),
    "no": Label("no", "nej"),
    "missing": Label("not given", "saknas",
                     "This fact was left out of the request.",
                     "Uppgiften har inte lämnats."),
    "unknown": Label("unknown", "okänt"),
}


def _prefixed(prefix: str, labels: Mapping[str, Label]) -> dict[str, Label]:
    return {f"{prefix}:{key}": value for key, value in labels.items()}


#: Every label, by key (see the module's docstring for the kinds of key).
CONTRACT_LABELS: Mapping[str, Label] = {
    **_prefixed("action", _ACTIONS), **_prefixed("fact", _FACTS),
    **_prefixed("value", _VALUES), **_prefixed("field", _FIELDS),
    **_prefixed("topic", _TOPICS), **_prefixed("topic", DERIVED_TOPICS),
    **_prefixed("outcome", _OUTCOMES),
    **_prefixed("level", _LEVELS), **_prefixed("word", _WORDS),
}


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: valid languages are "
                         + ", ".join(repr(x) for x in LANGUAGES))


def label(key: str, lang: str = "sv", labels: Mapping[str, Label] = CONTRACT_LABELS) -> str:
    """The label of ``key`` in ``lang`` ("sv" or "en").

    An empty Swedish label falls back to the English one; an unknown key gives its last
    part in words (``value:page_category.local_project`` → "local project").
    """
    _check_language(lang)
    entry = labels.get(key)
    if entry is None:
        return re.split(r"[.:]", key)[-1].replace("_", " ")
    return entry.sv if lang == "sv" and entry.sv else entry.en


def help_text(key: str, lang: str = "sv", labels: Mapping[str, Label] = CONTRACT_LABELS) -> str:
    """The help sentence of ``key`` in ``lang`` ("sv" or "en").

    Empty Swedish help falls back to the English; a key without help, or an unknown key,
    gives "" (a view then shows no help, rather than the label a second time).
    """
    _check_language(lang)
    entry = labels.get(key)
    if entry is None:
        return ""
    return entry.help_sv if lang == "sv" and entry.help_sv else entry.help_en
