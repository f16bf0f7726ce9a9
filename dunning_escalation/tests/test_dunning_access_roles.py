"""Installing dunning takes nothing away from the users of other apps: every role
opens every form, list and kanban view of invoices, tasks and partners as it could
before, read the way the web client reads them; only the dunning readers (billing
users and auditors, and the groups that imply theirs) see the dunning fields."""

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import DunningCase

VIEW_TYPES = ("form", "list", "kanban")
# The rows a list or kanban view of the web client reads at once.
PAGE = 80
ROLES = {
    "employee": "base.group_user",
    "project user": "project.group_project_user",
    "salesman": "sales_team.group_sale_salesman",
    "billing user": "account.group_account_invoice",
    "accountant": "account.group_account_user",
    "auditor": "account.group_account_readonly",
    "accounting administrator": "account.group_account_manager",
    "portal user": "base.group_portal",
}
# The roles that read dunning (security/ir.model.access.csv).
READERS = {"billing user", "accountant", "auditor", "accounting administrator"}


def is_ours(model, name):
    """Whether the field ``name`` of ``model`` comes with dunning: one of its
    ``dunning_*`` fields, or a field of (or to) one of its models."""
    field = model._fields[name]
    return (
        name.startswith("dunning_")
        or model._name.startswith("dunning.")
        or (field.relational and field.comodel_name.startswith("dunning."))
    )


def field_nodes(node):
    """The ``<field>`` nodes of the view ``node``, not those of their sub-views."""
    for child in node.iterchildren(tag=etree.Element):
        if child.tag == "field":
            yield child
        else:
            yield from field_nodes(child)


def merge(spec, other):
    for name, sub in other.items():
        if "fields" in sub and "fields" in spec.get(name, {}):
            merge(spec[name]["fields"], sub["fields"])
        else:
            spec.setdefault(name, sub)
    return spec


def specification(node, model):
    """What the web client reads for the view ``node`` of ``model``: every field
    of the view, the name of the records of a many2one, the fields of the inline
    list (or kanban) of an x2many."""
    spec = {}
    for field_node in field_nodes(node):
        name = field_node.get("name")
        field = model._fields[name]
        if field.type in ("one2many", "many2many"):
            subviews = [c for c in field_node if c.tag in ("list", "kanban")]
            fields = (
                specification(subviews[0], model.env[field.comodel_name])
                if subviews
                else {"display_name": {}}
            )
            merge(spec, {name: {"fields": fields}})
        elif field.type == "many2one":
            merge(spec, {name: {"fields": {"display_name": {}}}})
        else:
            spec.setdefault(name, {})
    return spec


def stripped(spec, model):
    """``spec`` without anything of dunning."""
    result = {}
    for name, sub in spec.items():
        if is_ours(model, name):
            continue
        field = model._fields[name]
        if "fields" in sub and field.type in ("one2many", "many2many"):
            sub = {"fields": stripped(sub["fields"], model.env[field.comodel_name])}
        result[name] = sub
    return result


@tagged("post_install", "-at_install")
class TestDunningAccessRoles(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.has_sale = cls.env["ir.module.module"]._get("sale").state == "installed"
        agency = cls.env["res.partner"].create(
            {"name": "Incasso Noord B.V.", "email": "dossiers@incasso-noord.example"}
        )
        # A late fee with the final notice, then the handoff to the agency.
        cls.policy.write({"agency_partner_id": agency.id, "legal_profile": False})
        cls.level_3.fee_fixed = 15.0
        cls.invoice = cls._invoice("2026-02-01", 400.0)
        for day in ("2026-02-15", "2026-03-03", "2026-03-07"):
            with freeze_time(day):
                cls.Move._cron_dunning_run()
        cls.env.invalidate_all()
        cls.charge = cls.invoice.dunning_fee_move_ids[:1]
        cls.task = cls.env["project.task"].search(
            [("dunning_move_ids", "in", cls.invoice.ids)]
        )
        roles = dict(ROLES)
        if not cls.has_sale:
            del roles["salesman"]
        cls.users = {
            role: new_test_user(
                cls.env, login=f"dunning_roles_{role.replace(' ', '_')}", groups=groups
            )
            for role, groups in roles.items()
            if role != "portal user"
        }
        # The portal user is a contact of the customer: its invoices are theirs.
        contact = cls.env["res.partner"].create(
            {"name": "Accounts Payable", "parent_id": cls.customer.id}
        )
        cls.users["portal user"] = new_test_user(
            cls.env,
            login="dunning_roles_portal_user",
            groups=ROLES["portal user"],
            partner_id=contact.id,
        )
        # Collection cases are open to the employees invited to them.
        cls.task.sudo().message_subscribe(
            partner_ids=[
                user.partner_id.id
                for role, user in cls.users.items()
                if role != "portal user"
            ]
        )
        if cls.has_sale:
            # Salesmen see the invoices of their own sales.
            (cls.invoice | cls.charge).invoice_user_id = cls.users["salesman"]

    def _arch(self, user, model_name, view_id, view_type):
        """The arch of the view as ``user`` gets it, None when refused."""
        try:
            views = (
                self.env[model_name].with_user(user).get_views([(view_id, view_type)])
            )
        except AccessError:
            return None
        return etree.fromstring(views["views"][view_type]["arch"])

    def _open_every_view(self, model_name, records):
        """Every role opens every form, list and kanban of ``model_name``: the
        form on ``records``, the list and kanban on the first page of all the
        records. Returns the refusals that dunning is the cause of."""
        views = self.env["ir.ui.view"].search(
            [
                ("model", "=", model_name),
                ("type", "in", VIEW_TYPES),
                ("mode", "=", "primary"),
            ]
        )
        to_open = [(False, view_type, "default") for view_type in VIEW_TYPES]
        to_open += [(view.id, view.type, view.xml_id or view.name) for view in views]
        ours = []
        opened = 0
        for role, user in self.users.items():
            Model = self.env[model_name].with_user(user)
            for view_id, view_type, view_name in to_open:
                arch = self._arch(user, model_name, view_id, view_type)
                if arch is None:
                    continue
                spec = specification(arch, Model)
                if view_type == "form":

                    def read(spec, Model=Model):
                        return records.with_env(Model.env).web_read(spec)
                else:

                    def read(spec, Model=Model):
                        return Model.web_search_read([], spec, limit=PAGE)

                try:
                    read(spec)
                    opened += 1
                except AccessError as error:
                    if self._refused_by_dunning(read, spec, Model):
                        ours.append(f"{role}, {view_name} ({view_type}): {error}")
                self.env.invalidate_all()
        self.assertTrue(opened, "some role opens some view")
        return ours

    def _refused_by_dunning(self, read, spec, Model):
        """Whether dunning is why ``read(spec)`` failed: the read succeeds without
        the fields of dunning, or (when the core refuses something else of the
        view too) a field of dunning alone is refused on records the user reads."""

        def can(spec):
            self.env.invalidate_all()
            try:
                read(spec)
            except AccessError:
                return False
            return True

        if can(stripped(spec, Model)):
            return True
        return can({"display_name": {}}) and any(
            not can({name: sub}) for name, sub in spec.items() if is_ours(Model, name)
        )

    def test_every_role_opens_the_invoices(self):
        self.assertTrue(self.invoice.dunning_level_id)
        self.assertTrue(self.invoice.dunning_event_ids)
        self.assertTrue(self.charge.dunning_origin_id)
        ours = self._open_every_view("account.move", self.invoice | self.charge)
        self.assertFalse(ours, "refused because of dunning:\n" + "\n".join(ours))

    def test_every_role_opens_the_collection_tasks(self):
        self.assertEqual(self.task.dunning_move_ids, self.invoice)
        ours = self._open_every_view("project.task", self.task)
        self.assertFalse(ours, "refused because of dunning:\n" + "\n".join(ours))

    def test_every_role_opens_the_customer(self):
        ours = self._open_every_view("res.partner", self.customer)
        self.assertFalse(ours, "refused because of dunning:\n" + "\n".join(ours))

    def _shown(self, role, model_name, xmlid, name, tag="field"):
        view = self.env.ref(xmlid)
        arch = self._arch(self.users[role], model_name, view.id, view.type)
        return arch is not None and bool(arch.xpath(f"//{tag}[@name='{name}']"))

    def test_dunning_shown_to_its_readers_only(self):
        for role in self.users:
            reader = role in READERS
            for xmlid in ("account.view_move_form", "account.view_out_invoice_tree"):
                with self.subTest(role=role, view=xmlid):
                    self.assertEqual(
                        self._shown(role, "account.move", xmlid, "dunning_level_id"),
                        reader,
                    )
            with self.subTest(role=role, view="invoice filters"):
                self.assertEqual(
                    self._shown(
                        role,
                        "account.move",
                        "account.view_account_invoice_filter",
                        "dunning_active",
                        tag="filter",
                    ),
                    reader,
                )
            with self.subTest(role=role, view="task form"):
                self.assertEqual(
                    self._shown(
                        role,
                        "project.task",
                        "project.view_task_form2",
                        "dunning_move_ids",
                    ),
                    reader,
                )
        # What a billing user reads of the invoice and of the task.
        billing = self.users["billing user"]
        view = self.env.ref("account.view_move_form")
        invoice = self.invoice.with_user(billing)
        arch = self._arch(billing, "account.move", view.id, "form")
        [values] = invoice.web_read(specification(arch, invoice))
        self.assertEqual(values["dunning_level_id"]["id"], self.level_handoff.id)
        self.assertEqual(
            [event["id"] for event in values["dunning_event_ids"]],
            self.invoice.dunning_event_ids.ids,
        )
        self.assertEqual(
            [charge["id"] for charge in values["dunning_fee_move_ids"]],
            self.invoice.dunning_fee_move_ids.ids,
        )
        # A billing user who works in Project too, invited to the case.
        collector = new_test_user(
            self.env,
            login="dunning_roles_collector",
            groups="account.group_account_invoice,project.group_project_user",
        )
        self.task.sudo().message_subscribe(partner_ids=collector.partner_id.ids)
        view = self.env.ref("project.view_task_form2")
        task = self.task.with_user(collector)
        arch = self._arch(collector, "project.task", view.id, "form")
        [values] = task.web_read(specification(arch, task))
        self.assertEqual(
            [move["id"] for move in values["dunning_move_ids"]], self.invoice.ids
        )
