#!/usr/bin/env python3
"""Reads the Ark models of the official Python and Go SDKs into one JSON file of wire field names.

Usage: extract.py PYTHON_WHEEL PYTHON_LABEL GO_MODULE_ZIP GO_LABEL OUT_JSON (scripts/official-sdks/fetch.sh calls it after
downloading both; a label is the `name==version` or `module@version` the file is).

Nothing of either SDK is imported or run: the Python models are parsed with `ast` (`attribute_map` maps the
snake_case attribute to the PascalCase wire name, `swagger_types` gives the type, a setter that raises on None
marks a required field) and the Go structs with regular expressions over `service/ark/api_*.go` (a field's wire
name is its `locationName` tag or else the field name; `required:"true"` marks a required one; a field with no
`type:` tag, such as `Metadata`, is the SDK's own and not on the wire).

Output (what provider/api/official-sdks.test.ts reads):
  {"sdks": {"python": {"source": "...", "actions": {ACTION: {"request": TREE, "response": TREE}}}, "go": {...}}}
  TREE = {"fields": {WIRE_NAME: {"required": bool, "fields"?: TREE.fields}}}   (a list of objects is its element)
"""
import ast
import json
import re
import sys
import zipfile

PY_MODELS = 'volcenginesdkark/models/'
PY_API = 'volcenginesdkark/api/ark_api.py'
# swagger types that are not models: `str`, `int`, `bool`, `float`, `object`, `list[str]`, `dict(str, str)`
PY_SCALARS = {'str', 'int', 'bool', 'float', 'object', 'datetime', 'date'}
GO_STRUCT = re.compile(r'^type (\w+) struct \{\n(.*?)^\}', re.M | re.S)
GO_FIELD = re.compile(r'^\t(\w+) +([\[\]*\w.]+) +`([^`]*)`', re.M)


def py_models(wheel):
    """{class name: {wire name: (type, required)}} for every model class of volcenginesdkark."""
    models = {}
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if not name.startswith(PY_MODELS) or not name.endswith('.py') or name.endswith('__init__.py'):
                continue
            source = z.read(name).decode('utf-8')
            for node in ast.parse(source).body:
                if not isinstance(node, ast.ClassDef):
                    continue
                attrs = {}
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in ('attribute_map', 'swagger_types'):
                        attrs[stmt.targets[0].id] = ast.literal_eval(stmt.value)
                if 'attribute_map' not in attrs:
                    continue
                # The generator's check for a required attribute: `raise ValueError("Invalid value for `x`, must not be `None`")`.
                required = set(re.findall(r'Invalid value for `(\w+)`, must not be `None`', source))
                models[node.name] = {
                    wire: (attrs['swagger_types'][attr], attr in required) for attr, wire in attrs['attribute_map'].items()
                }
        api = z.read(PY_API).decode('utf-8')
    # Each operation: `def x_with_http_info(self, body, ...)` ... `:param XRequest body` ... '/Action/2024-01-01/...' ... response_type='XResponse'
    actions = {}
    for block in re.split(r'\n    def ', api):
        path = re.search(r"'/(\w+)/2024-01-01/ark/post/application_json/'", block)
        if not path:
            continue
        request = re.search(r':param (\w+) body', block).group(1)
        response = re.search(r"response_type='(\w+)'", block).group(1)
        actions[path.group(1)] = (request, response)
    return models, actions


def py_tree(models, cls, seen=()):
    fields = {}
    for wire, (typ, required) in sorted(models[cls].items()):
        entry = {'required': required}
        inner = re.fullmatch(r'list\[(\w+)\]', typ)
        ref = inner.group(1) if inner else typ
        if ref not in PY_SCALARS and ref in models and ref not in seen:
            entry['fields'] = py_tree(models, ref, seen + (cls,))['fields']
        fields[wire] = entry
    return {'fields': fields}


def go_models(module_zip):
    """{struct name: {wire name: (type, required)}} from service/ark/api_*.go, and {action: (input, output)}."""
    models, actions = {}, {}
    with zipfile.ZipFile(module_zip) as z:
        for name in z.namelist():
            if not re.search(r'/service/ark/api_\w+\.go$', name):
                continue
            source = z.read(name).decode('utf-8')
            for struct, body in GO_STRUCT.findall(source):
                fields = {}
                for field, typ, tag in GO_FIELD.findall(body):
                    if field == '_' or 'type:"' not in tag:
                        continue
                    location = re.search(r'locationName:"(\w+)"', tag)
                    fields[location.group(1) if location else field] = (typ.lstrip('[]*'), 'required:"true"' in tag)
                models[struct] = fields
            # `const opCreateEndpoint = "CreateEndpoint"` and, in its XRequest func, `input = &XInput{}` / `output = &XOutput{}`
            for op in re.findall(r'^const op(\w+) = "(\w+)"$', source, re.M):
                if op[0].endswith('Common'):
                    continue
                func = re.search(r'func \(c \*ARK\) ' + op[0] + r'Request\(input \*(\w+)\) \(req \*request\.Request, output \*(\w+)\)', source)
                if func:
                    actions[op[1]] = (func.group(1), func.group(2))
    return models, actions


def go_tree(models, struct, seen=()):
    fields = {}
    for wire, (typ, required) in sorted(models[struct].items()):
        entry = {'required': required}
        if typ in models and typ not in seen:
            entry['fields'] = go_tree(models, typ, seen + (struct,))['fields']
        fields[wire] = entry
    return {'fields': fields}


def sdk(models, actions, tree, source):
    return {
        'source': source,
        'actions': {
            action: {'request': tree(models, request), 'response': tree(models, response)}
            for action, (request, response) in sorted(actions.items())
        },
    }


def main():
    wheel, py_label, module_zip, go_label, out = sys.argv[1:6]
    py, py_actions = py_models(wheel)
    go, go_actions = go_models(module_zip)
    if not py_actions or not go_actions:
        sys.exit(f'extract.py: no Ark actions found (python {len(py_actions)}, go {len(go_actions)}): the SDK layout changed')
    shapes = {
        'sdks': {
            'python': sdk(py, py_actions, py_tree, py_label),
            'go': sdk(go, go_actions, go_tree, go_label),
        }
    }
    with open(out, 'w') as f:
        json.dump(shapes, f, indent=1, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    main()
