"""The message catalogue of the web pages, the badge and the banner: French and English.

One entry per key with both languages; a test checks none is missing and every key a
template uses exists. Texts about a purpose itself come from the register, not from here.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # -- layout -------------------------------------------------------------------------------
    "site.name": {"en": "Fluxtel trust center", "fr": "Centre de confiance Fluxtel"},
    "skip": {"en": "Skip to content", "fr": "Aller au contenu"},
    "nav.label": {"en": "Main menu", "fr": "Menu principal"},
    "nav.home": {"en": "Home", "fr": "Accueil"},
    "nav.transparency": {"en": "How we use data", "fr": "Nos usages des données"},
    "nav.badges": {"en": "Trust badges", "fr": "Badges de confiance"},
    "nav.account": {"en": "My choices", "fr": "Mes choix"},
    "nav.login": {"en": "Sign in", "fr": "Se connecter"},
    "nav.logout": {"en": "Sign out", "fr": "Se déconnecter"},
    "nav.demo": {"en": "Cookie banner demo", "fr": "Démo du bandeau cookies"},
    "nav.api": {"en": "API", "fr": "API"},
    "lang.switch": {"en": "Version française", "fr": "English version"},
    "lang.switch_label": {"en": "Language", "fr": "Langue"},
    "footer.controller": {"en": "Data controller", "fr": "Responsable du traitement"},
    "footer.dpo": {"en": "Data protection officer", "fr": "Délégué à la protection des données"},
    "footer.cookies": {"en": "Cookie settings", "fr": "Paramètres des cookies"},
    # -- home ---------------------------------------------------------------------------------
    "home.title": {"en": "Your data, your choices", "fr": "Vos données, vos choix"},
    "home.intro": {
        "en": "Here you can see every reason we process personal data, on what legal basis, "
        "for how long and who receives it, and change your choices at any time.",
        "fr": "Vous trouverez ici chaque raison pour laquelle nous traitons des données "
        "personnelles, sur quelle base légale, pendant combien de temps et qui les reçoit, "
        "et vous pouvez changer vos choix à tout moment.",
    },
    "home.purposes": {"en": "Why we process data", "fr": "Pourquoi nous traitons des données"},
    "home.account": {
        "en": "Subscribers: manage your choices in your account area.",
        "fr": "Abonnés : gérez vos choix depuis votre espace client.",
    },
    # -- transparency -------------------------------------------------------------------------
    "transparency.title": {"en": "How we use data", "fr": "Nos usages des données"},
    "transparency.intro": {
        "en": "One page per purpose, generated from our processing register.",
        "fr": "Une page par finalité, générée à partir de notre registre des traitements.",
    },
    "transparency.table_caption": {
        "en": "Purposes, legal basis, your choice and retention",
        "fr": "Finalités, base légale, votre choix et durée de conservation",
    },
    "col.purpose": {"en": "Purpose", "fr": "Finalité"},
    "col.basis": {"en": "Legal basis", "fr": "Base légale"},
    "col.choice": {"en": "Your choice", "fr": "Votre choix"},
    "col.retention": {"en": "Kept for", "fr": "Conservation"},
    "col.status": {"en": "Current status", "fr": "Statut actuel"},
    "col.action": {"en": "Change", "fr": "Modifier"},
    "col.date": {"en": "Date", "fr": "Date"},
    "col.event": {"en": "Choice", "fr": "Choix"},
    "col.method": {"en": "How", "fr": "Comment"},
    "col.notice": {"en": "Notice", "fr": "Notice"},
    "col.who": {"en": "Who", "fr": "Qui"},
    "col.what": {"en": "What", "fr": "Quoi"},
    "col.why": {"en": "Why (purpose)", "fr": "Pourquoi (finalité)"},
    "col.receipt": {"en": "Receipt", "fr": "Reçu"},
    "purpose.what": {"en": "What data", "fr": "Quelles données"},
    "purpose.why": {"en": "Why", "fr": "Pourquoi"},
    "purpose.basis": {"en": "Legal basis", "fr": "Base légale"},
    "purpose.choice": {"en": "Your choice", "fr": "Votre choix"},
    "purpose.retention": {"en": "How long", "fr": "Combien de temps"},
    "purpose.exceptions": {"en": "Kept longer", "fr": "Conservé plus longtemps"},
    "purpose.recipients": {"en": "Who receives it", "fr": "Qui les reçoit"},
    "purpose.processors": {"en": "Service providers", "fr": "Prestataires"},
    "purpose.transfers": {
        "en": "Transfers outside the European Economic Area",
        "fr": "Transferts hors de l'Espace économique européen",
    },
    "purpose.no_transfer": {
        "en": "None: the data stays in the European Economic Area.",
        "fr": "Aucun : les données restent dans l'Espace économique européen.",
    },
    "purpose.sources": {"en": "Where it comes from", "fr": "D'où elles viennent"},
    "purpose.automated": {"en": "Automated decisions", "fr": "Décisions automatisées"},
    "purpose.no_profiling": {
        "en": "No profiling and no automated decision.",
        "fr": "Ni profilage ni décision automatisée.",
    },
    "purpose.profiling": {
        "en": "Profiling, with no solely automated decision:",
        "fr": "Profilage, sans décision entièrement automatisée :",
    },
    "purpose.dpia": {"en": "Impact assessment", "fr": "Analyse d'impact"},
    "purpose.change": {"en": "How to change it", "fr": "Comment changer"},
    "purpose.change.account": {
        "en": "Subscribers: in your account area, one click.",
        "fr": "Abonnés : dans votre espace client, en un clic.",
    },
    "purpose.change.cookies": {
        "en": "On our website: the cookie settings link at the bottom of every page.",
        "fr": "Sur notre site : le lien « Paramètres des cookies » en bas de chaque page.",
    },
    "purpose.change.contact": {
        "en": "Or write to our data protection officer:",
        "fr": "Ou écrivez à notre délégué à la protection des données :",
    },
    "purpose.notice_version": {"en": "Notice version", "fr": "Version de la notice"},
    "purpose.security": {"en": "How it is protected", "fr": "Comment elles sont protégées"},
    "purpose.where_shown": {"en": "Where it applies", "fr": "Où cela s'applique"},
    "purpose.json": {"en": "This page as JSON", "fr": "Cette page en JSON"},
    # -- lawful bases, choices, statuses --------------------------------------------------------
    "basis.consent": {"en": "Your consent", "fr": "Votre consentement"},
    "basis.contract": {"en": "Your contract", "fr": "Votre contrat"},
    "basis.legal_obligation": {"en": "A legal obligation", "fr": "Une obligation légale"},
    "basis.vital_interests": {"en": "Vital interests", "fr": "Intérêts vitaux"},
    "basis.public_task": {"en": "A public-interest task", "fr": "Une mission d'intérêt public"},
    "basis.legitimate_interests": {
        "en": "Our legitimate interests",
        "fr": "Notre intérêt légitime",
    },
    "mechanism.opt_in": {
        "en": "Nothing happens without your consent; you can withdraw it at any time.",
        "fr": "Rien ne se fait sans votre consentement ; vous pouvez le retirer à tout moment.",
    },
    "mechanism.opt_out": {
        "en": "Done unless you object; you can object at any time.",
        "fr": "Réalisé sauf si vous vous y opposez ; vous pouvez vous y opposer à tout moment.",
    },
    "mechanism.notice_only": {
        "en": "Needed to provide the service: no choice, but you are informed.",
        "fr": "Nécessaire au service : pas de choix, mais vous êtes informé.",
    },
    "mechanism.short.opt_in": {"en": "Opt-in", "fr": "Sur consentement"},
    "mechanism.short.opt_out": {"en": "You may object", "fr": "Opposition possible"},
    "mechanism.short.notice_only": {"en": "Information only", "fr": "Information seule"},
    "dpia.not_required": {"en": "Not required", "fr": "Non requise"},
    "dpia.draft": {"en": "Being drafted", "fr": "En rédaction"},
    "dpia.in_review": {"en": "Under review", "fr": "En cours d'examen"},
    "dpia.approved": {"en": "Approved", "fr": "Approuvée"},
    "dpia.rejected": {"en": "Rejected", "fr": "Rejetée"},
    "dpia.blocked": {
        "en": "Until it is approved, this processing does not run for anyone.",
        "fr": "Tant qu'elle n'est pas approuvée, ce traitement ne s'applique à personne.",
    },
    "recipient.internal": {"en": "our teams", "fr": "nos équipes"},
    "recipient.processor": {"en": "service provider", "fr": "prestataire"},
    "recipient.third_party": {"en": "third party", "fr": "tiers"},
    "recipient.public_authority": {"en": "public authority", "fr": "autorité publique"},
    "safeguard.adequacy_decision": {"en": "adequacy decision", "fr": "décision d'adéquation"},
    "safeguard.standard_contractual_clauses": {
        "en": "standard contractual clauses",
        "fr": "clauses contractuelles types",
    },
    "safeguard.binding_corporate_rules": {
        "en": "binding corporate rules",
        "fr": "règles d'entreprise contraignantes",
    },
    "safeguard.code_of_conduct": {"en": "code of conduct", "fr": "code de conduite"},
    "safeguard.certification": {"en": "certification", "fr": "certification"},
    "safeguard.derogation": {"en": "derogation (Art. 49)", "fr": "dérogation (art. 49)"},
    "source.data_subject": {"en": "from you", "fr": "fournies par vous"},
    "source.observed": {"en": "observed", "fr": "observées"},
    "source.derived": {"en": "derived", "fr": "déduites"},
    "source.third_party": {"en": "from a third party", "fr": "d'un tiers"},
    # -- durations ------------------------------------------------------------------------------
    "unit.years": {"en": "{n} years", "fr": "{n} ans"},
    "unit.year": {"en": "1 year", "fr": "1 an"},
    "unit.months": {"en": "{n} months", "fr": "{n} mois"},
    "unit.month": {"en": "1 month", "fr": "1 mois"},
    "unit.weeks": {"en": "{n} weeks", "fr": "{n} semaines"},
    "unit.week": {"en": "1 week", "fr": "1 semaine"},
    "unit.days": {"en": "{n} days", "fr": "{n} jours"},
    "unit.day": {"en": "1 day", "fr": "1 jour"},
    "unit.hours": {"en": "{n} hours", "fr": "{n} heures"},
    "unit.hour": {"en": "1 hour", "fr": "1 heure"},
    "unit.minutes": {"en": "{n} minutes", "fr": "{n} minutes"},
    "unit.minute": {"en": "1 minute", "fr": "1 minute"},
    "unit.seconds": {"en": "{n} seconds", "fr": "{n} secondes"},
    "unit.second": {"en": "1 second", "fr": "1 seconde"},
    "unit.and": {"en": "and", "fr": "et"},
    # -- badges ---------------------------------------------------------------------------------
    "badges.title": {"en": "Trust badges", "fr": "Badges de confiance"},
    "badges.intro": {
        "en": "Each app, website, service and device has a trust badge: what data it uses, "
        "why, and how to change your settings.",
        "fr": "Chaque application, site, service et équipement a son badge de confiance : "
        "quelles données il utilise, pourquoi, et comment changer vos réglages.",
    },
    "badge.title": {"en": "Trust badge", "fr": "Badge de confiance"},
    "badge.for": {"en": "Trust badge of {channel}", "fr": "Badge de confiance de {channel}"},
    "badge.count": {"en": "{n} purposes", "fr": "{n} finalités"},
    "badge.embed": {"en": "Embed this badge", "fr": "Intégrer ce badge"},
    "badge.embed_help": {
        "en": "Copy this code into the app's or site's page:",
        "fr": "Copiez ce code dans la page de l'application ou du site :",
    },
    "badge.more": {"en": "Details", "fr": "Détails"},
    "badge.manage": {"en": "Change my settings", "fr": "Changer mes réglages"},
    "channel.app": {"en": "App", "fr": "Application"},
    "channel.website": {"en": "Website", "fr": "Site web"},
    "channel.service": {"en": "Service", "fr": "Service"},
    "channel.device": {"en": "Device", "fr": "Équipement"},
    # -- login ------------------------------------------------------------------------------------
    "login.title": {"en": "Sign in", "fr": "Connexion"},
    "login.username": {"en": "Username or e-mail", "fr": "Identifiant ou e-mail"},
    "login.password": {"en": "Password", "fr": "Mot de passe"},
    "login.submit": {"en": "Sign in", "fr": "Se connecter"},
    "login.failed": {
        "en": "Unknown username or wrong password.",
        "fr": "Identifiant inconnu ou mot de passe incorrect.",
    },
    "login.required": {
        "en": "Please sign in to see your choices.",
        "fr": "Connectez-vous pour voir vos choix.",
    },
    "logout.done": {"en": "You are signed out.", "fr": "Vous êtes déconnecté."},
    # -- account area ----------------------------------------------------------------------------
    "account.title": {"en": "My data choices", "fr": "Mes choix sur mes données"},
    "account.hello": {"en": "Subscriber {id}", "fr": "Abonné {id}"},
    "account.intro": {
        "en": "Every purpose we process your data for, its current status and a switch when "
        "you have a choice. Turning a switch off takes one click, like turning it on.",
        "fr": "Chaque finalité pour laquelle nous traitons vos données, son statut actuel et "
        "un interrupteur quand vous avez le choix. Désactiver prend un clic, comme activer.",
    },
    "account.purposes": {"en": "Purposes and your choices", "fr": "Finalités et vos choix"},
    "account.history": {"en": "History of my choices", "fr": "Historique de mes choix"},
    "account.no_history": {
        "en": "You have not made any choice yet.",
        "fr": "Vous n'avez encore fait aucun choix.",
    },
    "account.access": {
        "en": "Who accessed my data, and why",
        "fr": "Qui a accédé à mes données, et pourquoi",
    },
    "account.access_intro": {
        "en": "Every access to your data and every decision about it, from the audit trail.",
        "fr": "Chaque accès à vos données et chaque décision les concernant, d'après le "
        "journal d'audit.",
    },
    "account.no_access": {
        "en": "Nobody has accessed your data yet.",
        "fr": "Personne n'a encore accédé à vos données.",
    },
    "account.rights": {"en": "My data rights", "fr": "Mes droits sur mes données"},
    "account.rights_intro": {
        "en": "Access, copy, correction, erasure, objection and complaint: see how to use them.",
        "fr": "Accès, copie, rectification, effacement, opposition et réclamation : "
        "voyez comment les exercer.",
    },
    "account.access_reason": {"en": "Reason given", "fr": "Motif indiqué"},
    "account.access_ticket": {"en": "Ticket", "fr": "Ticket"},
    "account.saved": {"en": "Your choice is saved.", "fr": "Votre choix est enregistré."},
    "account.download": {"en": "Download (JSON)", "fr": "Télécharger (JSON)"},
    "account.cookie_purposes": {
        "en": "Cookies are chosen per browser, in the cookie settings of our website.",
        "fr": "Les cookies se choisissent par navigateur, dans les paramètres des cookies "
        "de notre site.",
    },
    "status.on": {"en": "On", "fr": "Activé"},
    "status.off": {"en": "Off", "fr": "Désactivé"},
    "status.always": {
        "en": "Always on (needed for your contract)",
        "fr": "Toujours actif (nécessaire au contrat)",
    },
    "status.blocked": {
        "en": "Stopped: impact assessment pending",
        "fr": "Arrêté : analyse d'impact en attente",
    },
    "status.consent_given": {"en": "On: you agreed on {date}", "fr": "Activé : accepté le {date}"},
    "status.no_consent": {
        "en": "Off: you have not agreed",
        "fr": "Désactivé : vous n'avez pas accepté",
    },
    "status.consent_off": {"en": "Off since {date}", "fr": "Désactivé depuis le {date}"},
    "status.consent_expired": {
        "en": "Off: your consent expired on {date}",
        "fr": "Désactivé : consentement expiré le {date}",
    },
    "status.objected": {
        "en": "Off: you objected on {date}",
        "fr": "Désactivé : opposition le {date}",
    },
    "status.no_objection": {
        "en": "On: you have not objected",
        "fr": "Activé : vous ne vous y êtes pas opposé",
    },
    "status.objection_withdrawn": {"en": "On since {date}", "fr": "Activé depuis le {date}"},
    "switch.give": {"en": "Turn on: I agree to {purpose}", "fr": "Activer : j'accepte {purpose}"},
    "switch.withdraw": {
        "en": "Turn off: I withdraw my consent to {purpose}",
        "fr": "Désactiver : je retire mon consentement pour {purpose}",
    },
    "switch.object": {
        "en": "Turn off: I object to {purpose}",
        "fr": "Désactiver : je m'oppose à {purpose}",
    },
    "switch.unobject": {
        "en": "Turn on: I withdraw my objection to {purpose}",
        "fr": "Activer : je retire mon opposition à {purpose}",
    },
    "switch.on_label": {"en": "Turn on", "fr": "Activer"},
    "switch.off_label": {"en": "Turn off", "fr": "Désactiver"},
    "event.given": {"en": "Agreed", "fr": "Accepté"},
    "event.refused": {"en": "Refused", "fr": "Refusé"},
    "event.withdrawn": {"en": "Withdrawn", "fr": "Retiré"},
    "event.objected": {"en": "Objected", "fr": "Opposition"},
    "event.expired": {"en": "Expired", "fr": "Expiré"},
    "method.account_area": {"en": "Account area", "fr": "Espace client"},
    "method.cookie_banner": {"en": "Cookie banner", "fr": "Bandeau cookies"},
    "method.app": {"en": "App", "fr": "Application"},
    "method.call_centre": {"en": "Customer service by phone", "fr": "Service client par téléphone"},
    "method.gpc_signal": {
        "en": "Global Privacy Control signal",
        "fr": "Signal Global Privacy Control",
    },
    "method.api": {"en": "Partner system", "fr": "Système partenaire"},
    # -- rights --------------------------------------------------------------------------------
    "rights.title": {"en": "Your data rights", "fr": "Vos droits sur vos données"},
    "rights.intro": {
        "en": "Under the GDPR you can ask us for a copy of your data, have it corrected or "
        "erased, object to its use, and take it to another provider.",
        "fr": "Le RGPD vous permet de nous demander une copie de vos données, de les faire "
        "rectifier ou effacer, de vous opposer à leur utilisation et de les emporter chez un "
        "autre fournisseur.",
    },
    "rights.access": {"en": "Access and copy (Art. 15)", "fr": "Accès et copie (art. 15)"},
    "rights.rectification": {"en": "Correction (Art. 16)", "fr": "Rectification (art. 16)"},
    "rights.erasure": {"en": "Erasure (Art. 17)", "fr": "Effacement (art. 17)"},
    "rights.portability": {"en": "Portability (Art. 20)", "fr": "Portabilité (art. 20)"},
    "rights.objection": {
        "en": "Objection (Art. 21): use the switches in your account area.",
        "fr": "Opposition (art. 21) : utilisez les interrupteurs de votre espace client.",
    },
    "rights.how": {
        "en": "Write to our data protection officer; we answer within one month.",
        "fr": "Écrivez à notre délégué à la protection des données ; nous répondons sous un mois.",
    },
    "rights.complaint": {
        "en": "You can also complain to the supervisory authority:",
        "fr": "Vous pouvez aussi adresser une réclamation à l'autorité de contrôle :",
    },
    # -- rights requests (shared) ----------------------------------------------------------------
    "kind.access": {"en": "Access to my data (Art. 15)", "fr": "Accès à mes données (art. 15)"},
    "kind.portability": {
        "en": "Copy to take elsewhere (Art. 20)",
        "fr": "Copie à emporter (portabilité, art. 20)",
    },
    "kind.rectification": {"en": "Correction (Art. 16)", "fr": "Rectification (art. 16)"},
    "kind.erasure": {"en": "Erasure (Art. 17)", "fr": "Effacement (art. 17)"},
    "kind.objection": {"en": "Objection (Art. 21)", "fr": "Opposition (art. 21)"},
    "kind.restriction": {
        "en": "Restriction of processing (Art. 18)",
        "fr": "Limitation du traitement (art. 18)",
    },
    "request_status.received": {
        "en": "Received, identity to check",
        "fr": "Reçue, identité à vérifier",
    },
    "request_status.verified": {"en": "Identity checked", "fr": "Identité vérifiée"},
    "request_status.in_progress": {"en": "In progress", "fr": "En cours"},
    "request_status.extended": {"en": "Extended", "fr": "Prolongée"},
    "request_status.completed": {"en": "Answered", "fr": "Traitée"},
    "request_status.refused": {"en": "Refused", "fr": "Refusée"},
    "request_channel.account": {"en": "account area", "fr": "espace client"},
    "request_channel.agent": {"en": "customer service", "fr": "service client"},
    "request_channel.web": {"en": "public form", "fr": "formulaire public"},
    "request_channel.cli": {"en": "DPO office", "fr": "bureau du DPO"},
    "method_verify.session": {"en": "signed-in session", "fr": "session connectée"},
    "method_verify.otp_sms": {
        "en": "one-time code sent to the phone on file",
        "fr": "code à usage unique envoyé au téléphone du dossier",
    },
    "method_verify.id_document": {"en": "identity document", "fr": "pièce d'identité"},
    "method_verify.in_person": {"en": "in person, in a shop", "fr": "en personne, en boutique"},
    "step.filed": {"en": "Filed", "fr": "Déposée"},
    "step.verified": {"en": "Identity checked", "fr": "Identité vérifiée"},
    "step.started": {"en": "Started", "fr": "Commencée"},
    "step.extended": {"en": "Extended", "fr": "Prolongée"},
    "step.refused": {"en": "Refused", "fr": "Refusée"},
    "step.completed": {"en": "Answered", "fr": "Traitée"},
    "step.failed": {"en": "Failed, to retry", "fr": "Échec, à relancer"},
    "rights.days_left": {"en": "{n} days left", "fr": "{n} jours restants"},
    "rights.overdue": {
        "en": "Overdue by {n} days",
        "fr": "En retard de {n} jours",
    },
    "rights.download_export": {
        "en": "Download the export (ZIP)",
        "fr": "Télécharger l'export (ZIP)",
    },
    "col.due": {"en": "Due", "fr": "Échéance"},
    "col.kind": {"en": "Request", "fr": "Demande"},
    "col.subject": {"en": "Subscriber", "fr": "Abonné"},
    "col.channel": {"en": "Channel", "fr": "Canal"},
    "col.received": {"en": "Received", "fr": "Reçue le"},
    "col.verification": {"en": "Identity checked by", "fr": "Identité vérifiée par"},
    "col.details": {"en": "Details", "fr": "Détails"},
    "col.extension": {"en": "Reason for the extension", "fr": "Motif de la prolongation"},
    "col.refusal": {"en": "Reason for the refusal", "fr": "Motif du refus"},
    "col.completed": {"en": "Answered on", "fr": "Traitée le"},
    "col.export": {"en": "Your data", "fr": "Vos données"},
    "col.result": {"en": "Answer", "fr": "Réponse"},
    # -- DPO queue and request page ---------------------------------------------------------------
    "dpo.queue.title": {"en": "Rights requests", "fr": "Demandes d'exercice de droits"},
    "dpo.queue.intro": {
        "en": "{n} open requests, soonest due first. The answer is due one month after "
        "receipt (two more months at most when extended, Art. 12(3)).",
        "fr": "{n} demandes ouvertes, la plus urgente d'abord. La réponse est due un mois "
        "après réception (deux mois de plus au maximum en cas de prolongation, art. 12(3)).",
    },
    "dpo.queue.overdue_count": {
        "en": "{n} requests are overdue.",
        "fr": "{n} demandes sont en retard.",
    },
    "dpo.queue.filter": {"en": "Filter requests", "fr": "Filtrer les demandes"},
    "dpo.queue.all": {"en": "All", "fr": "Toutes"},
    "dpo.queue.apply": {"en": "Filter", "fr": "Filtrer"},
    "dpo.queue.caption": {
        "en": "Open requests by due date",
        "fr": "Demandes ouvertes par échéance",
    },
    "dpo.queue.empty": {"en": "No open request.", "fr": "Aucune demande ouverte."},
    "dpo.request.steps": {"en": "Steps (audit trail)", "fr": "Étapes (journal d'audit)"},
    "dpo.request.actions": {"en": "Next step", "fr": "Étape suivante"},
    "dpo.request.verify": {"en": "Mark identity as checked", "fr": "Marquer l'identité vérifiée"},
    "dpo.request.method": {"en": "How it was checked", "fr": "Comment elle a été vérifiée"},
    "dpo.request.execute": {"en": "Carry out the request", "fr": "Exécuter la demande"},
    "dpo.request.execute_help.access": {
        "en": "Collects every store's data about the subscriber into a ZIP export.",
        "fr": "Rassemble les données de chaque magasin sur l'abonné dans un export ZIP.",
    },
    "dpo.request.execute_help.portability": {
        "en": "Exports the data the subscriber provided, in machine-readable files (ZIP).",
        "fr": "Exporte les données fournies par l'abonné, en fichiers lisibles par machine (ZIP).",
    },
    "dpo.request.execute_help.rectification": {
        "en": "Applies the corrections asked for to the contract data.",
        "fr": "Applique les corrections demandées aux données du contrat.",
    },
    "dpo.request.execute_help.erasure": {
        "en": "Erases every store except what the register's retention exceptions keep, "
        "and lists what was kept with its legal ground.",
        "fr": "Efface chaque magasin sauf ce que les exceptions de conservation du registre "
        "gardent, et liste ce qui est gardé avec son fondement juridique.",
    },
    "dpo.request.execute_help.objection": {
        "en": "Records the objection (or withdrawal of consent) in the ledger; the gate "
        "follows it at once.",
        "fr": "Enregistre l'opposition (ou le retrait du consentement) dans le registre des "
        "consentements ; le filtre l'applique aussitôt.",
    },
    "dpo.request.execute_help.restriction": {
        "en": "Restricts processing: the gate denies every purpose for this subscriber "
        "until it is lifted.",
        "fr": "Limite le traitement : le filtre refuse toute finalité pour cet abonné "
        "jusqu'à la levée.",
    },
    "dpo.request.extend": {"en": "Extend the deadline", "fr": "Prolonger le délai"},
    "dpo.request.months": {"en": "By", "fr": "De"},
    "dpo.request.extend_reason": {
        "en": "Reason (told to the subscriber)",
        "fr": "Motif (communiqué à l'abonné)",
    },
    "dpo.request.refuse": {"en": "Refuse the request", "fr": "Refuser la demande"},
    "dpo.request.refuse_reason": {
        "en": "Reason (told to the subscriber, with the right to complain)",
        "fr": "Motif (communiqué à l'abonné, avec le droit de réclamation)",
    },
    "dpo.request.done.verify": {"en": "Identity marked as checked.", "fr": "Identité vérifiée."},
    "dpo.request.done.start": {"en": "Request started.", "fr": "Demande commencée."},
    "dpo.request.done.execute": {"en": "Request carried out.", "fr": "Demande exécutée."},
    "dpo.request.done.extend": {"en": "Deadline extended.", "fr": "Délai prolongé."},
    "dpo.request.done.refuse": {"en": "Request refused.", "fr": "Demande refusée."},
    "audit.action.consent_change": {"en": "Choice recorded", "fr": "Choix enregistré"},
    "audit.action.rights_request.filed": {
        "en": "Your data request was received",
        "fr": "Votre demande sur vos données a été reçue",
    },
    "audit.action.rights_request.verified": {
        "en": "Your identity was checked for your request",
        "fr": "Votre identité a été vérifiée pour votre demande",
    },
    "audit.action.rights_request.started": {
        "en": "Work on your request started",
        "fr": "Le traitement de votre demande a commencé",
    },
    "audit.action.rights_request.extended": {
        "en": "Your request's deadline was extended",
        "fr": "Le délai de votre demande a été prolongé",
    },
    "audit.action.rights_request.refused": {
        "en": "Your request was refused",
        "fr": "Votre demande a été refusée",
    },
    "audit.action.rights_request.completed": {
        "en": "Your request was answered",
        "fr": "Votre demande a reçu sa réponse",
    },
    "audit.action.rights_request.informed": {
        "en": "You were sent a message about your request",
        "fr": "Un message vous a été envoyé sur votre demande",
    },
    "audit.action.rights_request.code_sent": {
        "en": "A one-time code was sent to your phone",
        "fr": "Un code à usage unique a été envoyé à votre téléphone",
    },
    "audit.action.agent.viewed_diagnosis": {
        "en": "Customer service viewed your home gateway's diagnosis",
        "fr": "Le service client a consulté le diagnostic de votre box",
    },
    "audit.action.ticket.opened": {
        "en": "Customer service opened a ticket",
        "fr": "Le service client a ouvert un ticket",
    },
    "audit.action.ticket.closed": {
        "en": "Customer service closed a ticket",
        "fr": "Le service client a clos un ticket",
    },
    "audit.action.staff.viewed_consents": {
        "en": "Staff viewed your consent history",
        "fr": "Un membre du personnel a consulté l'historique de vos consentements",
    },
    "audit.action.staff.viewed_choices": {
        "en": "Staff viewed your current choices",
        "fr": "Un membre du personnel a consulté vos choix actuels",
    },
    "audit.action.staff.viewed_record": {
        "en": "Staff viewed one of your consent records",
        "fr": "Un membre du personnel a consulté l'un de vos enregistrements de consentement",
    },
    "audit.action.staff.viewed_receipt": {
        "en": "Staff downloaded one of your consent receipts",
        "fr": "Un membre du personnel a téléchargé l'un de vos reçus de consentement",
    },
    "audit.action.staff.viewed_request": {
        "en": "The data protection office viewed your request",
        "fr": "Le délégué à la protection des données a consulté votre demande",
    },
    "audit.action.staff.viewed_requests": {
        "en": "Customer service viewed your rights requests",
        "fr": "Le service client a consulté vos demandes d'exercice de droits",
    },
    "audit.action.staff.viewed_export": {
        "en": "The data protection office downloaded the copy of your data",
        "fr": "Le délégué à la protection des données a téléchargé la copie de vos données",
    },
    "audit.action.processing.restricted": {
        "en": "Processing of your data restricted",
        "fr": "Traitement de vos données limité",
    },
    "audit.action.processing.restriction_lifted": {
        "en": "Restriction of processing lifted",
        "fr": "Limitation du traitement levée",
    },
    "dpo.request.told": {
        "en": "The person was sent the reason by text message, to the number on file.",
        "fr": "La personne a reçu le motif par SMS, au numéro de son contrat.",
    },
    "dpo.request.not_told": {
        "en": "The person could not be sent the reason (no number on file or no sender): "
        "tell them another way, within the deadline.",
        "fr": "Le motif n'a pas pu être envoyé à la personne (pas de numéro ou pas d'envoi "
        "possible) : prévenez-la autrement, dans le délai.",
    },
    # -- my rights (account area) and the public form ----------------------------------------
    "my_rights.title": {"en": "My data rights", "fr": "Mes droits sur mes données"},
    "my_rights.intro": {
        "en": "Ask for a copy of your data, a correction, an erasure, an objection or a "
        "restriction. Signed in, your identity is already checked: we answer within one month.",
        "fr": "Demandez une copie de vos données, une rectification, un effacement, une "
        "opposition ou une limitation. Connecté, votre identité est déjà vérifiée : nous "
        "répondons sous un mois.",
    },
    "my_rights.filed": {
        "en": "Your request ({kind}) is recorded. We will answer by {date}.",
        "fr": "Votre demande ({kind}) est enregistrée. Nous répondrons au plus tard le {date}.",
    },
    "my_rights.requests": {"en": "My requests", "fr": "Mes demandes"},
    "my_rights.none": {
        "en": "You have not made any request.",
        "fr": "Vous n'avez fait aucune demande.",
    },
    "my_rights.done": {"en": "Done.", "fr": "Effectué."},
    "my_rights.new": {"en": "Make a request", "fr": "Faire une demande"},
    "my_rights.new_intro": {
        "en": "Choose the right you want to use. Each form sends one request.",
        "fr": "Choisissez le droit que vous souhaitez exercer. Chaque formulaire envoie une "
        "demande.",
    },
    "my_rights.ask": {"en": "Send this request", "fr": "Envoyer cette demande"},
    "my_rights.ask_erasure": {"en": "Ask for erasure", "fr": "Demander l'effacement"},
    "my_rights.help.access": {
        "en": "Everything we hold about you, and why, in a ZIP file to download here.",
        "fr": "Tout ce que nous détenons sur vous, et pourquoi, dans un fichier ZIP à "
        "télécharger ici.",
    },
    "my_rights.help.portability": {
        "en": "The data you gave us and your usage, in machine-readable files (CSV, JSON) "
        "to take to another provider.",
        "fr": "Les données que vous nous avez fournies et votre consommation, en fichiers "
        "lisibles par machine (CSV, JSON), à emporter chez un autre fournisseur.",
    },
    "my_rights.help.rectification": {
        "en": "Correct your billing zone or your age bracket; leave a field empty to keep it.",
        "fr": "Corrigez votre zone de facturation ou votre tranche d'âge ; laissez un champ "
        "vide pour le garder.",
    },
    "my_rights.help.objection": {
        "en": "Choose the purposes you object to (for those based on consent, this withdraws it).",
        "fr": "Choisissez les finalités auxquelles vous vous opposez (pour celles fondées sur "
        "le consentement, cela le retire).",
    },
    "my_rights.help.restriction": {
        "en": "While you contest the accuracy of your data or the lawfulness of its use, we "
        "keep it but use it for nothing else.",
        "fr": "Pendant que vous contestez l'exactitude de vos données ou la licéité de leur "
        "utilisation, nous les gardons sans les utiliser pour autre chose.",
    },
    "my_rights.billing_zone": {"en": "Billing zone (code)", "fr": "Zone de facturation (code)"},
    "my_rights.age_bracket": {"en": "Age bracket", "fr": "Tranche d'âge"},
    "my_rights.unchanged": {"en": "Unchanged", "fr": "Inchangée"},
    "my_rights.restriction_reason": {
        "en": "What do you contest?",
        "fr": "Que contestez-vous ?",
    },
    "rights.erasure.what": {
        "en": "What an erasure does, and what it keeps",
        "fr": "Ce que fait un effacement, et ce qu'il garde",
    },
    "rights.erasure.kept_intro": {
        "en": "We erase everything we hold about you, except what the law requires us to "
        "keep, for the time it requires:",
        "fr": "Nous effaçons tout ce que nous détenons sur vous, sauf ce que la loi nous "
        "oblige à garder, pendant la durée qu'elle impose :",
    },
    "rights.erasure.final": {
        "en": "An erasure cannot be undone; your contract ends with it.",
        "fr": "Un effacement est définitif ; votre contrat prend fin avec lui.",
    },
    "rights.erasure.confirm": {
        "en": "I understand that the erasure is final and what is kept.",
        "fr": "Je comprends que l'effacement est définitif et ce qui est conservé.",
    },
    "rights.public.link": {
        "en": "Not a customer area user? Make a request with your phone number",
        "fr": "Pas d'accès à l'espace client ? Faites une demande avec votre numéro",
    },
    "rights.public.title": {"en": "Make a data request", "fr": "Faire une demande sur mes données"},
    "rights.public.intro": {
        "en": "Give the mobile number of your line: we send a one-time code to that number "
        "as we hold it, and your request is recorded once you enter the code.",
        "fr": "Indiquez le numéro mobile de votre ligne : nous envoyons un code à usage unique "
        "à ce numéro tel que nous le détenons, et votre demande est enregistrée dès que vous "
        "saisissez le code.",
    },
    "rights.public.msisdn": {"en": "Mobile number", "fr": "Numéro mobile"},
    "rights.public.msisdn_hint": {
        "en": "International format, for example +33 6 12 34 56 78.",
        "fr": "Format international, par exemple +33 6 12 34 56 78.",
    },
    "rights.public.kind": {"en": "What do you ask for?", "fr": "Que demandez-vous ?"},
    "rights.public.other_kinds": {
        "en": "Correction, objection and restriction: from your account area.",
        "fr": "Rectification, opposition et limitation : depuis votre espace client.",
    },
    "rights.public.send_code": {"en": "Send me a code", "fr": "M'envoyer un code"},
    "rights.public.confirm_needed": {
        "en": "To ask for erasure, tick the box saying you understand what it does.",
        "fr": "Pour demander l'effacement, cochez la case indiquant que vous comprenez ce "
        "qu'il fait.",
    },
    "rights.code.title": {"en": "Enter your code", "fr": "Saisissez votre code"},
    "rights.code.intro": {
        "en": "If this number belongs to a line of ours, a 6-digit code was sent to it by "
        "text message (a few per hour at most). It expires in a few minutes.",
        "fr": "Si ce numéro correspond à l'une de nos lignes, un code à 6 chiffres lui a été "
        "envoyé par SMS (quelques-uns par heure au plus). Il expire dans quelques minutes.",
    },
    "rights.code.label": {"en": "Code received by text message", "fr": "Code reçu par SMS"},
    "rights.code.submit": {"en": "Confirm my request", "fr": "Confirmer ma demande"},
    "rights.code.again": {"en": "Start again", "fr": "Recommencer"},
    "rights.code.wrong": {
        "en": "This code is not right or no longer valid (too many tries, expired, already "
        "used or a newer one was sent). Check it, or start again for a new code.",
        "fr": "Ce code n'est pas le bon ou n'est plus valable (trop d'essais, expiré, déjà "
        "utilisé ou remplacé par un plus récent). Vérifiez-le, ou recommencez pour en recevoir "
        "un nouveau.",
    },
    "rights.code.expired": {
        "en": "This form has expired: start again.",
        "fr": "Ce formulaire a expiré : recommencez.",
    },
    "rights.code.verified": {
        "en": "Your request ({kind}) is confirmed. We will answer by {date}.",
        "fr": "Votre demande ({kind}) est confirmée. Nous répondrons au plus tard le {date}.",
    },
    "rights.code.next": {
        "en": "We will send the answer to your line's contact details.",
        "fr": "Nous enverrons la réponse aux coordonnées de votre ligne.",
    },
    # -- agent console ---------------------------------------------------------------------------
    "agent.title": {"en": "Agent console", "fr": "Console conseiller"},
    "agent.intro": {
        "en": "Open a ticket when a subscriber contacts you. You see their gateway's diagnosis "
        "only under an open ticket and with a stated reason; the subscriber sees each view, "
        "with your reason, in their account area.",
        "fr": "Ouvrez un ticket quand un abonné vous contacte. Vous ne voyez le diagnostic de "
        "sa box qu'avec un ticket ouvert et un motif ; l'abonné voit chaque consultation, avec "
        "votre motif, dans son espace client.",
    },
    "agent.open": {"en": "Open a ticket", "fr": "Ouvrir un ticket"},
    "agent.subscriber_id": {"en": "Subscriber id", "fr": "Identifiant abonné"},
    "agent.ticket_reason": {"en": "Why the subscriber called", "fr": "Motif de l'appel"},
    "agent.reason_hint": {
        "en": "A sentence of at least three words: the subscriber will read it.",
        "fr": "Une phrase d'au moins trois mots : l'abonné la lira.",
    },
    "agent.open_submit": {"en": "Open the ticket", "fr": "Ouvrir le ticket"},
    "agent.mine": {"en": "My open tickets", "fr": "Mes tickets ouverts"},
    "agent.none": {"en": "You have no open ticket.", "fr": "Vous n'avez aucun ticket ouvert."},
    "agent.no_gateway": {"en": "no gateway on file", "fr": "aucune box au dossier"},
    "agent.ticket": {"en": "Ticket", "fr": "Ticket"},
    "agent.closed": {"en": "closed", "fr": "fermé"},
    "agent.closed_note": {
        "en": "This ticket is closed: open a new one to see the gateway or the subscriber's "
        "requests again.",
        "fr": "Ce ticket est fermé : ouvrez-en un nouveau pour revoir la box ou les demandes "
        "de l'abonné.",
    },
    "agent.close": {"en": "Close the ticket", "fr": "Fermer le ticket"},
    "agent.refused": {"en": "Refused:", "fr": "Refusé :"},
    "agent.diagnosis": {"en": "Gateway diagnosis", "fr": "Diagnostic de la box"},
    "agent.diagnosis_intro": {
        "en": "Each view is recorded in the audit trail with your reason, and shown to the "
        "subscriber.",
        "fr": "Chaque consultation est enregistrée dans le journal d'audit avec votre motif, "
        "et montrée à l'abonné.",
    },
    "agent.view_reason": {
        "en": "Why you need to see it now",
        "fr": "Pourquoi vous devez le consulter maintenant",
    },
    "agent.view": {"en": "Show the diagnosis", "fr": "Afficher le diagnostic"},
    "agent.result": {"en": "Diagnosis of {gateway}", "fr": "Diagnostic de {gateway}"},
    "agent.window": {
        "en": "from {start} to {end} UTC, {n} samples",
        "fr": "du {start} au {end} UTC, {n} mesures",
    },
    "agent.seen": {
        "en": "Seen from {first} to {last} UTC ({n} signals)",
        "fr": "Constaté du {first} au {last} UTC ({n} signaux)",
    },
    "agent.evidence": {"en": "Evidence", "fr": "Éléments"},
    "agent.parameter": {"en": "Parameter", "fr": "Paramètre"},
    "agent.value": {"en": "Value", "fr": "Valeur"},
    "agent.audited": {
        "en": "This view was recorded in the audit trail.",
        "fr": "Cette consultation a été enregistrée dans le journal d'audit.",
    },
    "diagnosis.healthy": {"en": "No fault found", "fr": "Aucune panne détectée"},
    "diagnosis.faults": {"en": "Faults found", "fr": "Pannes détectées"},
    "diagnosis.no_data": {"en": "No measurement received", "fr": "Aucune mesure reçue"},
    "agent.requests": {
        "en": "Rights requests of this subscriber",
        "fr": "Demandes de droits de l'abonné",
    },
    "agent.requests_intro": {
        "en": "A request filed by phone needs the subscriber's identity: send a code to the "
        "phone on file and enter the code the subscriber reads out to you.",
        "fr": "Une demande faite par téléphone exige l'identité de l'abonné : envoyez un code "
        "au téléphone du dossier et saisissez le code que l'abonné vous lit.",
    },
    "agent.send_code": {
        "en": "Send a code to the subscriber's phone",
        "fr": "Envoyer un code au téléphone de l'abonné",
    },
    "agent.code_sent_to": {"en": "Code sent to {to}.", "fr": "Code envoyé au {to}."},
    "agent.code": {
        "en": "Code read out by the subscriber",
        "fr": "Code lu par l'abonné",
    },
    "agent.check_code": {"en": "Check the code", "fr": "Vérifier le code"},
    "agent.file": {
        "en": "File a request on the subscriber's behalf",
        "fr": "Déposer une demande pour l'abonné",
    },
    "agent.request_reason": {
        "en": "What the subscriber contests (restriction)",
        "fr": "Ce que l'abonné conteste (limitation)",
    },
    "agent.erasure_confirm": {
        "en": "Erasure: the subscriber confirmed they understand it is final and what is kept.",
        "fr": "Effacement : l'abonné a confirmé comprendre qu'il est définitif et ce qui est "
        "conservé.",
    },
    "agent.file_submit": {"en": "File the request", "fr": "Déposer la demande"},
    "agent.done.filed": {
        "en": "Request filed: now verify the subscriber's identity.",
        "fr": "Demande déposée : vérifiez maintenant l'identité de l'abonné.",
    },
    "agent.done.code_sent": {"en": "Code sent.", "fr": "Code envoyé."},
    "agent.done.verified": {"en": "Identity verified.", "fr": "Identité vérifiée."},
    "col.opened": {"en": "Opened", "fr": "Ouvert le"},
    "col.gateway": {"en": "Gateway", "fr": "Box"},
    # -- DPO workspace ---------------------------------------------------------------------------
    "nav.dpo": {"en": "DPO workspace", "fr": "Espace DPO"},
    "nav.agent": {"en": "Agent console", "fr": "Console conseiller"},
    "nav.rights": {"en": "My rights", "fr": "Mes droits"},
    "dpo.nav": {"en": "DPO workspace", "fr": "Espace DPO"},
    "dpo.nav.queue": {"en": "Rights requests", "fr": "Demandes de droits"},
    "dpo.nav.register": {"en": "Register and DPIAs", "fr": "Registre et AIPD"},
    "dpo.nav.consents": {"en": "Consent rates", "fr": "Taux de consentement"},
    "dpo.nav.runs": {"en": "Processing runs", "fr": "Exécutions des traitements"},
    "dpo.nav.releases": {"en": "Statistics releases", "fr": "Publications statistiques"},
    "col.decision": {"en": "Decision", "fr": "Décision"},
    "col.note": {"en": "Note", "fr": "Note"},
    "col.job": {"en": "Job", "fr": "Traitement"},
    "col.gate_at": {"en": "Gate asked for", "fr": "Filtre interrogé pour"},
    "col.counts": {"en": "Counts", "fr": "Volumes"},
    "col.release": {"en": "Release", "fr": "Publication"},
    "col.period": {"en": "Period", "fr": "Période"},
    "col.budget": {"en": "Privacy budget", "fr": "Budget de confidentialité"},
    "pager.label": {"en": "Pages", "fr": "Pages"},
    "pager.page": {"en": "Page {n}", "fr": "Page {n}"},
    "dpo.register.title": {
        "en": "Record of processing activities (Art. 30)",
        "fr": "Registre des activités de traitement (art. 30)",
    },
    "dpo.register.intro": {
        "en": "Each purpose with its legal basis, retention, recipients and the impact "
        "assessment status the gate applies now.",
        "fr": "Chaque finalité avec sa base légale, sa durée de conservation, ses destinataires "
        "et le statut d'analyse d'impact que le filtre applique maintenant.",
    },
    "dpo.register.gate_rule": {
        "en": "The gate denies every processing for a purpose whose impact assessment is "
        "required but not approved: a rejection here stops it for everyone at once.",
        "fr": "Le filtre refuse tout traitement pour une finalité dont l'analyse d'impact est "
        "requise mais non approuvée : un rejet ici l'arrête aussitôt pour tout le monde.",
    },
    "dpo.register.saved": {
        "en": "Your decision is recorded.",
        "fr": "Votre décision est enregistrée.",
    },
    "dpo.register.export": {
        "en": "Download the Art. 30 record:",
        "fr": "Télécharger le registre de l'art. 30 :",
    },
    "dpo.register.gate_allows": {"en": "the gate allows it", "fr": "le filtre l'autorise"},
    "dpo.register.gate_denies": {
        "en": "the gate denies it for everyone",
        "fr": "le filtre le refuse pour tous",
    },
    "dpo.register.from_decision": {
        "en": "from the DPO's latest decision",
        "fr": "selon la dernière décision du DPO",
    },
    "dpo.register.from_yaml": {
        "en": "from the register file (no decision recorded)",
        "fr": "selon le fichier du registre (aucune décision enregistrée)",
    },
    "dpo.register.history": {"en": "Decisions ({n})", "fr": "Décisions ({n})"},
    "dpo.register.no_decision": {
        "en": "No decision recorded in the workspace.",
        "fr": "Aucune décision enregistrée dans l'espace DPO.",
    },
    "dpo.register.decide": {
        "en": "Decide on the impact assessment of {purpose}",
        "fr": "Statuer sur l'analyse d'impact de {purpose}",
    },
    "dpo.register.note": {
        "en": "Note (required: reference, reasons)",
        "fr": "Note (obligatoire : référence, motifs)",
    },
    "dpo.register.approve": {"en": "Approve", "fr": "Approuver"},
    "dpo.register.reject": {"en": "Reject", "fr": "Rejeter"},
    "dpo.consents.title": {
        "en": "Consent rates per purpose",
        "fr": "Taux de consentement par finalité",
    },
    "dpo.consents.intro": {
        "en": "Latest choice of each subscriber per purpose, out of {n} subscribers with a "
        "running contract on {date}.",
        "fr": "Dernier choix de chaque abonné par finalité, sur {n} abonnés ayant un contrat "
        "en cours au {date}.",
    },
    "dpo.consents.caption": {
        "en": "Subscribers per latest choice (share of subscribers)",
        "fr": "Abonnés par dernier choix (part des abonnés)",
    },
    "dpo.consents.none": {"en": "No choice yet", "fr": "Pas encore de choix"},
    "dpo.consents.note": {
        "en": "Counted from the ledger's latest state; website visitors are not counted.",
        "fr": "Compté à partir du dernier état du registre des consentements ; les visiteurs du "
        "site ne sont pas comptés.",
    },
    "dpo.runs.title": {"en": "Processing runs", "fr": "Exécutions des traitements"},
    "dpo.runs.intro": {
        "en": "Every job run recorded in the audit trail ({n}), newest first.",
        "fr": "Chaque exécution enregistrée dans le journal d'audit ({n}), la plus récente "
        "d'abord.",
    },
    "dpo.runs.caption": {
        "en": "Job runs, page {page} of {pages}",
        "fr": "Exécutions, page {page} sur {pages}",
    },
    "dpo.runs.none": {"en": "No job run recorded yet.", "fr": "Aucune exécution enregistrée."},
    "dpo.releases.title": {"en": "Statistics releases", "fr": "Publications statistiques"},
    "dpo.releases.intro": {
        "en": "Every release of statistics recorded in the audit trail ({n}), with the privacy "
        "loss it spent, newest first.",
        "fr": "Chaque publication de statistiques enregistrée dans le journal d'audit ({n}), "
        "avec la perte de confidentialité consommée, la plus récente d'abord.",
    },
    "dpo.releases.caption": {
        "en": "Releases, page {page} of {pages}",
        "fr": "Publications, page {page} sur {pages}",
    },
    "dpo.releases.total": {"en": "whole release", "fr": "publication entière"},
    "dpo.releases.no_budget": {"en": "not stated", "fr": "non indiqué"},
    "dpo.releases.none": {
        "en": "No release recorded yet.",
        "fr": "Aucune publication enregistrée.",
    },
    # -- demo -------------------------------------------------------------------------------------
    "demo.title": {"en": "Fluxtel: mobile and broadband", "fr": "Fluxtel : mobile et box"},
    "demo.intro": {
        "en": "A page of the operator's website with the cookie banner. Scripts tagged with "
        "a purpose run only once you agree.",
        "fr": "Une page du site de l'opérateur avec le bandeau cookies. Les scripts associés "
        "à une finalité ne s'exécutent qu'après votre accord.",
    },
    "demo.scripts": {"en": "Tagged scripts on this page", "fr": "Scripts associés sur cette page"},
    "demo.not_running": {"en": "not running", "fr": "inactif"},
    "demo.snippet": {
        "en": "How this page includes the banner",
        "fr": "Comment cette page inclut le bandeau",
    },
    # -- errors -----------------------------------------------------------------------------------
    "error.title": {"en": "Something is wrong", "fr": "Un problème est survenu"},
    "error.not_found": {"en": "Page not found.", "fr": "Page introuvable."},
    "error.forbidden": {
        "en": "You may not see this page.",
        "fr": "Vous ne pouvez pas voir cette page.",
    },
    "error.back": {"en": "Back to the home page", "fr": "Retour à l'accueil"},
    # -- banner -----------------------------------------------------------------------------------
    "banner.title": {"en": "Your cookie choices", "fr": "Vos choix de cookies"},
    "banner.intro": {
        "en": "With your agreement, we and our partner use cookies to measure the audience of "
        "our site and to show you our ads elsewhere. Nothing is set before you choose, and "
        "you can change your mind at any time with the cookie settings link.",
        "fr": "Avec votre accord, nous et notre partenaire utilisons des cookies pour mesurer "
        "l'audience de notre site et vous montrer nos publicités ailleurs. Rien n'est déposé "
        "avant votre choix, et vous pouvez changer d'avis à tout moment avec le lien "
        "« Paramètres des cookies ».",
    },
    "banner.accept_all": {"en": "Accept all", "fr": "Tout accepter"},
    "banner.reject_all": {"en": "Reject all", "fr": "Tout refuser"},
    "banner.customise": {"en": "Customise", "fr": "Personnaliser"},
    "banner.save": {"en": "Save my choices", "fr": "Enregistrer mes choix"},
    "banner.always_active": {"en": "Always active", "fr": "Toujours actifs"},
    "banner.details": {"en": "Details", "fr": "Détails"},
    "banner.gpc": {
        "en": "Your browser sends a Global Privacy Control signal: we treat it as a refusal "
        "of advertising.",
        "fr": "Votre navigateur envoie un signal Global Privacy Control : nous le traitons "
        "comme un refus de la publicité.",
    },
    "banner.saved": {"en": "Your choices are saved.", "fr": "Vos choix sont enregistrés."},
    "banner.failed": {
        "en": "Your choices could not be saved. Please try again.",
        "fr": "Vos choix n'ont pas pu être enregistrés. Veuillez réessayer.",
    },
    "banner.policy": {"en": "How we use data", "fr": "Nos usages des données"},
}

# French names for the fideslang data categories the register uses; others show fideslang's
# English name (marked as English in the page).
DATA_CATEGORIES_FR: dict[str, str] = {
    "system.operations": "Données d'exploitation",
    "user.behavior": "Comportement observé",
    "user.behavior.browsing_history": "Historique de navigation",
    "user.behavior.purchase_history": "Historique d'achats",
    "user.contact.address": "Adresse postale",
    "user.contact.address.country": "Pays",
    "user.contact.address.postal_code": "Code postal",
    "user.contact.email": "Adresse e-mail",
    "user.contact.phone_number": "Numéro de téléphone",
    "user.demographic.age_range": "Tranche d'âge",
    "user.device.cookie": "Cookie",
    "user.device.cookie_id": "Identifiant de cookie",
    "user.device.device_id": "Identifiant d'appareil",
    "user.device.ip_address": "Adresse IP",
    "user.financial.bank_account": "Coordonnées bancaires",
    "user.location.imprecise": "Localisation approximative",
    "user.name": "Nom",
    "user.payment": "Données de paiement",
    "user.privacy_preferences": "Préférences de confidentialité",
    "user.telemetry": "Télémesures",
    "user.unique_id": "Identifiant unique",
    "user.unique_id.pseudonymous": "Identifiant pseudonyme",
}
