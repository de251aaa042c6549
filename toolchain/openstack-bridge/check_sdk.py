#!/usr/bin/env python3
"""Compare a generated pulumi-openstack schema with the installed Python SDK.

usage: check_sdk.py SCHEMA.json [SDK_DIR] [--all]

SCHEMA.json: what `pulumi package get-schema openstack` (or `tfgen schema`) prints.
SDK_DIR: the pulumi_openstack package directory (default: found on sys.path).

Reads the SDK with `ast` (nothing is imported) and compares, for every resource and
function token the SDK uses: the token itself, input and output property names, and
the property names of the object types they reference. The resources and functions
the lab needs are checked strictly (exit status 1 on any difference); with --all the
differences found elsewhere are listed too (they never fail the check).
"""
import ast
import importlib.util
import json
import pathlib
import sys

# What the lab maps (see README.md); a difference here fails the check.
REQUIRED = {
    "openstack:identity/project:Project",
    "openstack:identity/user:User",
    "openstack:identity/roleAssignment:RoleAssignment",
    "openstack:identity/getRole:getRole",
    "openstack:compute/keypair:Keypair",
    "openstack:compute/flavor:Flavor",
    "openstack:compute/instance:Instance",
    "openstack:networking/network:Network",
    "openstack:networking/subnet:Subnet",
    "openstack:networking/router:Router",
    "openstack:networking/routerInterface:RouterInterface",
    "openstack:networking/secGroup:SecGroup",
    "openstack:networking/secGroupRule:SecGroupRule",
    "openstack:networking/floatingIp:FloatingIp",
    "openstack:networking/floatingIpAssociate:FloatingIpAssociate",
    "openstack:networking/port:Port",
    "openstack:networking/getNetwork:getNetwork",
    "openstack:networking/getSubnet:getSubnet",
    "openstack:images/image:Image",
    "openstack:loadbalancer/loadBalancer:LoadBalancer",
    "openstack:loadbalancer/listener:Listener",
    "openstack:loadbalancer/pool:Pool",
    "openstack:loadbalancer/member:Member",
    "openstack:loadbalancer/monitor:Monitor",
    "openstack:blockstorage/volume:Volume",
    "pulumi:providers:openstack",
}


WRAPPERS = ("pulumi.Input[", "pulumi.Output[", "Optional[")


def shape(annotation):
    """'list', 'map' or 'one' for a getter's annotation (Input/Output/Optional unwrapped)."""
    if annotation is None:
        return None
    text = ast.unparse(annotation).replace("_builtins.", "").strip("'\"")
    changed = True
    while changed:
        changed = False
        for w in WRAPPERS:
            if text.startswith(w) and text.endswith("]"):
                text, changed = text[len(w):-1].strip("'\""), True
    if text.startswith(("Sequence[", "list[", "List[")):
        return "list"
    if text.startswith(("Mapping[", "dict[", "Dict[")):
        return "map"
    return "one"


def schema_shape(prop):
    if prop.get("type") == "array":
        return "list"
    if prop.get("type") == "object" and "additionalProperties" in prop:
        return "map"
    return "one"


def getters(cls):
    """{Pulumi property name: shape} of a class's @pulumi.getter methods."""
    names = {}
    for node in cls.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if ast.unparse(target) != "pulumi.getter":
                continue
            name = node.name
            if isinstance(dec, ast.Call):
                for kw in dec.keywords:
                    if kw.arg == "name":
                        name = kw.value.value
            names[name] = shape(node.returns)
    return names


def string_args(node):
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            for arg in call.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield call, arg.value


class Sdk:
    def __init__(self, root):
        self.root = root
        self.resources = {}  # token -> (outputs, inputs, state)
        self.functions = {}  # token -> (inputs, outputs)
        self.classes = {}  # (module, class name) -> getters
        self.methods = set()  # provider method tokens
        self.config = set()  # config keys read by pulumi_openstack.config
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root)
            module = "index" if len(rel.parts) == 1 else rel.parts[0]
            if module == "config":
                for node in ast.walk(ast.parse(path.read_text())):
                    if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("__config__.get"):
                        self.config.add(node.args[0].value)
                continue
            tree = ast.parse(path.read_text(), str(path))
            classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
            for name, cls in classes.items():
                self.classes[(module, name)] = getters(cls)
            for name, cls in classes.items():
                for call, value in string_args(cls):
                    if ast.unparse(call.func).endswith("runtime.call"):
                        self.methods.add(value)  # e.g. Provider.terraform_config
                        continue
                    if value == "openstack":  # the provider resource's type
                        value = "pulumi:providers:openstack"
                    if value.startswith(("openstack:", "pulumi:providers:")) and \
                            ast.unparse(call.func).endswith(".__init__"):
                        args = classes.get(name + "Args")
                        state = classes.get("_" + name + "State")
                        self.resources[value] = (
                            getters(cls),
                            getters(args) if args else {},
                            getters(state) if state else None,
                        )
            for fn in (f for f in tree.body if isinstance(f, ast.FunctionDef)):
                if fn.name.endswith("_output"):
                    continue
                for call, value in string_args(fn):
                    if value.startswith("openstack:") and ast.unparse(call.func).endswith("invoke"):
                        params = {a.arg: shape(a.annotation) for a in fn.args.args + fn.args.kwonlyargs}
                        inputs = {
                            t.slice.value: params.get(getattr(a.value, "id", None))
                            for a in ast.walk(fn) if isinstance(a, ast.Assign)
                            for t in a.targets
                            if isinstance(t, ast.Subscript) and ast.unparse(t.value) == "__args__"
                        }
                        result = [n for n in classes
                                  if n.endswith("Result") and not n.startswith("Awaitable")]
                        outputs = getters(classes[result[0]]) if len(result) == 1 else None
                        self.functions[value] = (inputs, outputs)

    def type_props(self, token, want_input):
        """Property names of the SDK class for a schema object type token."""
        pkg_mod, name = token.split(":")[1], token.split(":")[2]
        module = pkg_mod.split("/")[0]
        upper = name[0].upper() + name[1:]
        candidates = [upper + "Args"] if want_input else [upper, upper + "Result"]
        for c in candidates:
            if (module, c) in self.classes:
                return self.classes[(module, c)]
        return None


def refs(prop):
    """Object type tokens a schema property refers to."""
    out = []
    stack = [prop]
    while stack:
        p = stack.pop()
        if not isinstance(p, dict):
            continue
        ref = p.get("$ref", "")
        if ref.startswith("#/types/"):
            out.append(ref[len("#/types/"):])
        stack.extend(v for k, v in p.items() if k in ("items", "additionalProperties"))
        stack.extend(p.get("oneOf", []))
    return out


def main(argv):
    show_all = "--all" in argv
    argv = [a for a in argv if a != "--all"]
    schema = json.load(open(argv[0]))
    if len(argv) > 1:
        root = pathlib.Path(argv[1])
    else:
        root = pathlib.Path(importlib.util.find_spec("pulumi_openstack").origin).parent
    sdk = Sdk(root)
    types = schema.get("types", {})
    problems = {}  # token -> [lines]

    def diff(token, what, want, got):
        """want: {name: shape} from the SDK; got: {name: schema property} (or a set of names)."""
        if want is None or got is None:
            return
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        if missing:
            problems.setdefault(token, []).append(f"{what}: schema lacks {missing}")
        if extra:
            problems.setdefault(token, []).append(f"{what}: schema adds {extra}")
        if isinstance(want, dict) and isinstance(got, dict):
            for name in sorted(set(want) & set(got)):
                a, b = want[name], schema_shape(got[name])
                if a is not None and a != b:
                    problems.setdefault(token, []).append(f"{what}: {name} is {a} in the SDK, {b} in the schema")

    seen_types = set()
    seen_all = set()

    def walk_types(owner, props, want_input):
        for p in props.values():
            for t in refs(p):
                key = (t, want_input)
                if key in seen_types or t not in types:
                    continue
                seen_types.add(key)
                seen_all.add(key)
                tprops = types[t].get("properties", {})
                diff(owner, f"type {t.split(':')[2]}{' (input)' if want_input else ''}",
                     sdk.type_props(t, want_input), tprops)
                walk_types(owner, tprops, want_input)

    prov = schema.get("provider", {})
    for token, (outputs, inputs, state) in sorted(sdk.resources.items()):
        if token == "pulumi:providers:openstack":
            res = prov
            diff(token, "config variables", sdk.config, set(schema.get("config", {}).get("variables", {})))
        else:
            res = schema.get("resources", {}).get(token)
        if res is None:
            problems.setdefault(token, []).append("resource token missing from schema")
            continue
        seen_types.clear()
        diff(token, "inputs", inputs, res.get("inputProperties", {}))
        out_props = res.get("properties", {})
        if res is prov:  # the SDK's Provider exposes only its string-typed outputs
            out_props = {k: v for k, v in out_props.items() if v.get("type") == "string"}
        diff(token, "outputs", outputs, out_props)
        if state is not None:
            diff(token, "state", state, res.get("stateInputs", {}).get("properties", {}))
        walk_types(token, res.get("inputProperties", {}), True)
        walk_types(token, res.get("properties", {}), False)
    for token, (inputs, outputs) in sorted(sdk.functions.items()):
        fn = schema.get("functions", {}).get(token)
        if fn is None:
            problems.setdefault(token, []).append("function token missing from schema")
            continue
        seen_types.clear()
        in_props = fn.get("inputs", {}).get("properties", {})
        out_props = fn.get("outputs", {}).get("properties", {})
        diff(token, "inputs", inputs, in_props)
        diff(token, "outputs", outputs, out_props)
        walk_types(token, in_props, True)
        walk_types(token, out_props, False)

    sdk_tokens = set(sdk.resources) | set(sdk.functions) | sdk.methods
    checked = len({t for t, _ in seen_all})
    extra = sorted((set(schema.get("resources", {})) | set(schema.get("functions", {}))) - sdk_tokens)

    required_missing = REQUIRED - sdk_tokens
    failed = sorted(t for t in problems if t in REQUIRED)
    print(f"SDK {root}: {len(sdk.resources) - 1} resources, {len(sdk.functions)} functions; "
          f"schema: {len(schema.get('resources', {}))} resources, {len(schema.get('functions', {}))} functions, "
          f"{checked} object types compared")
    for token in sorted(required_missing):
        print(f"REQUIRED token not in the SDK (check REQUIRED): {token}")
    for token in failed:
        for line in problems[token]:
            print(f"REQUIRED {token}: {line}")
    others = sorted(t for t in problems if t not in REQUIRED)
    if show_all:
        for token in others:
            for line in problems[token]:
                print(f"other {token}: {line}")
        for token in extra:
            print(f"other {token}: in the schema, not in the SDK")
    print(f"required: {len(REQUIRED - required_missing) - len(failed)}/{len(REQUIRED)} match; "
          f"others with differences: {len(others)}; schema-only tokens: {len(extra)}")
    return 1 if failed or required_missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
