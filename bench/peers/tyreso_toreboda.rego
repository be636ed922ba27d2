# The Tyresö and Töreboda packs (packs/tyreso/tyreso.policy, packs/toreboda/toreboda.policy)
# in Rego, for the side-by-side benchmark (python -m bench.peers). Same rules, same order,
# same step ids; the texts and sections are left out.
#
# Query: data.policy.decision with input {"pack", "action", "facts", "at"}, facts as the
# caller sends them (absent bool/int/set facts mean false/0/empty). The answer is
# {"outcome", "steps", "by_default"}, combined as the engine does: any deny wins; else
# every unmet step, in rule order; else allow when a rule spoke; else the pack's default.
package policy

import rego.v1

f := input.facts

# ---- topic settings, as each pack sets them ----------------------------------------------

topics := {
	"tyreso": {
		"default": "allow",
		"channel_approver": ["manager", "communications_director"],
		"credential_custody": {"communicator", "communications_unit"},
		"snapshot_interval": "half_yearly",
		"allowed_likes": {
			"allow": {"own", "municipality", "authority", "local_association", "cultural_institution", "local_project"},
			"deny": {"commercial", "political_party"},
		},
		"break_time_use": "department_head_decides",
	},
	"toreboda": {
		"default": "allow",
		"channel_approver": ["manager"],
		"credential_custody": {"central_storage", "information_officer"},
		"snapshot_interval": "half_yearly",
		"allowed_likes": {
			"allow": set(),
			"deny": {"commercial", "political_party"},
		},
		"break_time_use": "breaks_only",
	},
}

interval_months := {"half_yearly": 6, "yearly": 12}

# ---- the vocabulary: defaults of absent facts, the derived fact, calendar months ---------

flag(name) := object.get(f, name, false) == true

roles(name) := object.get(f, name, [])

credential_holders contains role if some role in roles("credentials_held_by")

credential_holders contains "central_storage" if flag("credentials_in_central_storage")

ymd(date) := time.date(time.parse_ns("2006-01-02", date))

leap(y) if {
	y % 4 == 0
	y % 100 != 0
}

leap(y) if y % 400 == 0

days_in_month(y, m) := 29 if {
	m == 2
	leap(y)
} else := 28 if {
	m == 2
} else := 30 if {
	m in {4, 6, 9, 11}
} else := 31

# Whole calendar months from d to now: adding them to d (clamped to the month's end)
# does not pass now.
months_since(d, now) := n if {
	[dy, dm, dd] := ymd(d)
	[ny, nm, nd] := ymd(now)
	whole := ((ny - dy) * 12 + nm) - dm
	n := whole - borrow(dd, ny, nm, nd)
}

borrow(dd, ny, nm, nd) := 1 if {
	dd > nd
	nd < days_in_month(ny, nm)
} else := 0

# last_snapshot_on is set and months_since(last_snapshot_on) < snapshot_interval
snapshot_fresh(interval) := true if {
	months_since(f.last_snapshot_on, input.at) < interval_months[interval]
} else := false

# ---- rules -------------------------------------------------------------------------------
# deny:        the ids of deny rules that hold
# allowed:     the ids of allow rules that hold
# requirement: [order, step id, done] for every requirement that applies
# An `only when C` rule is both, under its one id: allowed when C holds, deny when not.

tyreso(action) if {
	input.pack == "tyreso"
	input.action == action
}

toreboda(action) if {
	input.pack == "toreboda"
	input.action == action
}

t := topics[input.pack]

# Tyresö ---------------------------------------------------------------------------------

requirement contains [[1, i], sprintf("approve-channel-%s", [approver]), approver in roles("approved_by")] if {
	tyreso("create_channel")
	some i, approver in t.channel_approver
}

requirement contains [[2, 0], "appoint-responsible", flag("responsible_appointed")] if tyreso("create_channel")

requirement contains [[3, 0], "define-purpose", flag("purpose_defined")] if tyreso("create_channel")

# new-channel-has-substitute (running-channel-has-substitute, below, is the same step on
# audit_channel, after the website listing)
requirement contains [[4, 0], "appoint-substitute", flag("substitute_appointed")] if tyreso("create_channel")

requirement contains [[5, 0], "inform-communicator", "communicator" in roles("informed")] if tyreso("create_channel")

requirement contains [[6, 0], "share-credentials", count(credential_holders & t.credential_custody) > 0] if tyreso("create_channel")

requirement contains [[7, 0], "list-on-website", flag("listed_on_website")] if {
	input.pack == "tyreso"
	input.action in {"create_channel", "audit_channel"}
}

requirement contains [[8, 0], "follow-graphic-profile", flag("follows_graphic_profile")] if tyreso("create_channel")

deny contains "no-confidential-posts" if {
	tyreso("publish_post")
	flag("contains_confidential")
}

deny contains "no-offensive-personal-data-posts" if {
	tyreso("publish_post")
	flag("contains_offensive_personal_data")
}

requirement contains [[9, 0], "publish-visitor-information", flag("visitor_information_published")] if tyreso("create_channel")

# removal-grounds (only): criticism and questions are on no list
tyreso_removal_grounds := {
	"defamation", "personal_attack", "hate_speech", "harassment", "violence", "pornography",
	"incitement_to_crime", "profanity", "copyright_infringement", "advertising",
	"confidential_information", "offensive_personal_data", "off_topic", "minor_importance",
}

allowed contains "removal-grounds" if {
	tyreso("delete_comment")
	f.content_category in tyreso_removal_grounds
}

deny contains "removal-grounds" if {
	tyreso("delete_comment")
	not f.content_category in tyreso_removal_grounds
}

# running-channel-has-substitute
requirement contains [[10, 0], "appoint-substitute", flag("substitute_appointed")] if tyreso("audit_channel")

allowed contains "cull-minor-importance" if {
	tyreso("delete_comment")
	f.content_category == "minor_importance"
}

allowed contains "remove-unlawful-or-improper" if {
	tyreso("delete_comment")
	f.content_category in {
		"personal_attack", "profanity", "advertising", "hate_speech", "copyright_infringement",
		"violence", "pornography", "incitement_to_crime", "defamation", "confidential_information",
	}
}

requirement contains [[11, 0], "monitor-comments-daily", flag("monitored_daily")] if tyreso("audit_channel")

allowed contains "remove-offensive-personal-data" if {
	tyreso("delete_comment")
	f.content_category == "offensive_personal_data"
}

requirement contains [[12, 0], "register-removed", flag("registered")] if {
	tyreso("delete_comment")
	f.content_category != "minor_importance"
}

requirement contains [[13, 0], "archive-snapshot", snapshot_fresh(t.snapshot_interval)] if tyreso("audit_channel")

requirement contains [[14, 0], "archive-snapshot-before-change", false] if {
	tyreso("audit_channel")
	flag("major_change_planned")
}

# likes-only-listed-pages (only): a page not listed, `other` included, is denied
allowed contains "likes-only-listed-pages" if {
	tyreso("like_page")
	f.page_category in t.allowed_likes.allow
}

deny contains "likes-only-listed-pages" if {
	tyreso("like_page")
	not f.page_category in t.allowed_likes.allow
}

deny contains "no-likes-for-companies-or-parties" if {
	tyreso("like_page")
	f.page_category in t.allowed_likes.deny
}

requirement contains [[15, 0], "department-head-decision", flag("department_head_permits")] if {
	tyreso("private_use_at_work")
	t.break_time_use == "department_head_decides"
}

# Both packs: every purpose is denied (closed professional networks included)
deny contains "no-private-accounts-for-work" if {
	input.pack in {"tyreso", "toreboda"}
	input.action == "use_private_account"
}

deny contains "no-private-account-channels" if {
	tyreso("create_channel")
	f.account_type == "private"
}

# images-only-with-rights (only): image_source is missing or one of the listed sources
images_with_rights if not "image_source" in object.keys(f)

images_with_rights if f.image_source in {"none", "own_archive", "licensed_agency", "creator_consent"}

allowed contains "images-only-with-rights" if {
	tyreso("publish_post")
	images_with_rights
}

deny contains "images-only-with-rights" if {
	tyreso("publish_post")
	not images_with_rights
}

requirement contains [[16, 0], "consult-manager", flag("manager_consulted")] if tyreso("close_channel")

requirement contains [[17, 0], "consult-communicator", flag("communicator_consulted")] if tyreso("close_channel")

requirement contains [[18, 0], "publish-farewell-post", flag("farewell_post_published")] if tyreso("close_channel")

# Töreboda -------------------------------------------------------------------------------

requirement contains [[1, i], sprintf("approve-channel-%s", [approver]), approver in roles("approved_by")] if {
	toreboda("create_channel")
	some i, approver in t.channel_approver
}

requirement contains [[2, 0], "appoint-responsible", flag("responsible_appointed")] if toreboda("create_channel")

requirement contains [[3, 0], "inform-information-officer", "information_officer" in roles("informed")] if toreboda("create_channel")

requirement contains [[4, 0], "follow-graphic-profile", flag("follows_graphic_profile")] if toreboda("create_channel")

# Allmän handling: the kinds unlawful by definition, saved before removal
unlawful := {
	"defamation", "hate_speech", "violence", "incitement_to_crime", "copyright_infringement",
	"confidential_information", "offensive_personal_data",
}

requirement contains [[5, 0], "save-comment-content", flag("content_saved")] if {
	toreboda("delete_comment")
	f.content_category in unlawful
}

requirement contains [[6, 0], "save-comment-author", flag("author_saved")] if {
	toreboda("delete_comment")
	f.content_category in unlawful
}

deny contains "no-offensive-personal-data-posts" if {
	toreboda("publish_post")
	flag("contains_offensive_personal_data")
}

# removal-grounds (only): criticism, questions, off-topic comments and comments of minor
# importance stay up
toreboda_removal_grounds := {
	"defamation", "personal_attack", "hate_speech", "harassment", "violence", "pornography",
	"incitement_to_crime", "profanity", "copyright_infringement", "advertising",
	"confidential_information", "offensive_personal_data",
}

allowed contains "removal-grounds" if {
	toreboda("delete_comment")
	f.content_category in toreboda_removal_grounds
}

deny contains "removal-grounds" if {
	toreboda("delete_comment")
	not f.content_category in toreboda_removal_grounds
}

deny contains "no-likes-for-advertising-or-propaganda" if {
	toreboda("like_page")
	f.page_category in t.allowed_likes.deny
}

deny contains "keep-criticism" if {
	toreboda("delete_comment")
	f.content_category == "criticism"
}

# private-use-only-in-breaks (only)
private_use_in_breaks if {
	t.break_time_use == "breaks_only"
	flag("during_break")
}

allowed contains "private-use-only-in-breaks" if {
	toreboda("private_use_at_work")
	private_use_in_breaks
}

deny contains "private-use-only-in-breaks" if {
	toreboda("private_use_at_work")
	not private_use_in_breaks
}

deny contains "no-private-profile-channel" if {
	toreboda("create_channel")
	f.account_type == "private"
}

deny contains "no-confidential-posts" if {
	toreboda("publish_post")
	flag("contains_confidential")
}

allowed contains "remove-confidential-comment" if {
	toreboda("delete_comment")
	f.content_category == "confidential_information"
}

requirement contains [[7, 0], "register-removed", flag("registered")] if {
	toreboda("delete_comment")
	f.content_category == "confidential_information"
}

requirement contains [[8, 0], "list-on-website", flag("listed_on_website")] if {
	input.pack == "toreboda"
	input.action in {"create_channel", "audit_channel"}
}

requirement contains [[9, 0], "archive-snapshot", snapshot_fresh(t.snapshot_interval)] if toreboda("audit_channel")

requirement contains [[10, 0], "archive-snapshot-before-change", false] if {
	toreboda("audit_channel")
	flag("major_change_planned")
}

deny contains "no-unlicensed-images" if {
	toreboda("publish_post")
	f.image_source == "unlicensed"
}

allowed contains "cleared-images" if {
	toreboda("publish_post")
	f.image_source in {"own_archive", "licensed_agency", "creator_consent"}
}

requirement contains [[11, 0], "file-activity-plan", flag("activity_plan_filed")] if toreboda("create_channel")

requirement contains [[12, 0], "define-purpose", flag("purpose_defined")] if toreboda("create_channel")

requirement contains [[13, 0], "appoint-two-administrators", object.get(f, "admin_count", 0) >= 2] if toreboda("create_channel")

requirement contains [[14, 0], "share-credentials", count(t.credential_custody - credential_holders) == 0] if toreboda("create_channel")

# ---- combining ---------------------------------------------------------------------------

unmet contains [order, step] if some [order, step, false] in requirement

steps := [x[1] | some x in sort(unmet)]

decision := {"outcome": "deny", "steps": [], "by_default": false} if {
	count(deny) > 0
} else := {"outcome": "required_steps", "steps": steps, "by_default": false} if {
	count(unmet) > 0
} else := {"outcome": "allow", "steps": [], "by_default": false} if {
	count(allowed) + count(requirement) > 0
} else := {"outcome": t["default"], "steps": [], "by_default": true}
