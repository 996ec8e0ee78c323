"""Microsoft.Resources/tags/default at subscription and resource-group
scope, as the REST specification (Microsoft.Resources resources.json,
Tags_GetAtScope / CreateOrUpdateAtScope / UpdateAtScope / DeleteAtScope)
describes it: a wrapper resource {id, name, type, properties: {tags}} with
no etag, so no If-Match: a write is last-writer-wins. PATCH takes
{"operation": "Merge" | "Replace" | "Delete", "properties": {"tags": {...}}};
Delete removes each named tag, and when a value is given only if the tag
still has that value. ARM may answer a write 200 or 202 + Location; this
server always answers 200 (the write is done when the answer comes).
At most 50 tags per scope, names up to 512 characters without < > % & \\ ?
/ or control characters, values up to 256."""
import json

MAX_TAGS = 50
NAME_MAX = 512
VALUE_MAX = 256
BAD_NAME_CHARS = set('<>%&\\?/')


class TagsMixin:
    def tags_route(self, req, scope_id, holder):
        """holder: the dict whose "tags" this scope's tags are (a group, or
        the subscription's entry in store.sub_tags)."""
        m = req.method
        if m == "GET":
            return self._tags_answer(scope_id, holder)
        if m == "DELETE":
            with self.store.lock:
                holder["tags"] = {}
                gen = self.store.commit()
            return (200, [], b"", gen)
        if m not in ("PUT", "PATCH"):
            raise self.arm_error(405, "HttpMethodNotAllowed", "The http method '%s' is not allowed "
                           "for this resource." % m)
        body = self._json_body(req)
        props = body.get("properties")
        tags = props.get("tags") if isinstance(props, dict) else None
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            raise self.arm_error(400, "InvalidRequestContent", "The request content was invalid and "
                           "could not be deserialized: 'properties.tags' must be an object of "
                           "string values.")
        op = "Replace" if m == "PUT" else body.get("operation")
        if op not in ("Replace", "Merge", "Delete"):
            raise self.arm_error(400, "InvalidRequestContent", "The request content was invalid and "
                           "could not be deserialized: 'operation' must be Replace, Merge or "
                           "Delete.")
        self._check_tags(tags)
        with self.store.lock:
            cur = dict(holder.get("tags") or {})
            if op == "Replace":
                new = dict(tags)
            elif op == "Merge":
                new = cur
                for k, v in tags.items():
                    for old in [o for o in new if o.lower() == k.lower()]:
                        del new[old]
                    new[k] = v
            else:
                new = {k: v for k, v in cur.items()
                       if not any(k.lower() == d.lower() and (dv == "" or dv == v)
                                  for d, dv in tags.items())}
            if len(new) > MAX_TAGS:
                raise self.arm_error(400, "InvalidTagCount", "The resource has %d tags; at most %d "
                               "are allowed." % (len(new), MAX_TAGS))
            holder["tags"] = new
            gen = self.store.commit()
        st, h, out, _ = self._tags_answer(scope_id, holder)
        return st, h, out, gen

    def _check_tags(self, tags):
        for k, v in tags.items():
            if not k or len(k) > NAME_MAX or any(c in BAD_NAME_CHARS or ord(c) < 32 for c in k):
                raise self.arm_error(400, "InvalidTagNameCharacters", "The tag name '%s' is empty, "
                               "longer than %d characters or has reserved characters "
                               "'<,>,%%,&,\\,?,/' or control characters." % (k, NAME_MAX))
            if len(v) > VALUE_MAX:
                raise self.arm_error(400, "InvalidTagValueLength", "The value of tag '%s' is longer "
                               "than %d characters." % (k, VALUE_MAX))

    def _tags_answer(self, scope_id, holder):
        with self.store.lock:
            tags = dict(holder.get("tags") or {})
        body = {"id": scope_id + "/providers/Microsoft.Resources/tags/default", "name": "default",
                "type": "Microsoft.Resources/tags", "properties": {"tags": tags}}
        return 200, [], json.dumps(body).encode("utf-8"), 0
