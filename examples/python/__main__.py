"""The quickstart pipeline in Python: fine-tuned weights -> TOS -> Ark custom model -> endpoint.

Config keys are documented in README.md; the provider's ark:* keys in docs/configuration.md.
"""
import pulumi
import pulumi_ark as ark

config = pulumi.Config()
stack = pulumi.get_stack()
base_model = config.require("baseModel")

# Uploads the local Hugging Face directory (only what changed), or brings in weights that live elsewhere
# (`weights`: tos://bucket/prefix/ copied server-side, hf://owner/name@revision streamed from the hub; nothing
# downloaded to this machine); content_digest changes iff the weights do. `weightsVersion` pins the version a
# reviewer saw (a hub commit): a source that has moved since fails the preview instead of deploying unseen weights.
weights = ark.TosModelDir(
    "weights",
    source=config.get("weights") or config.require("modelDir"),
    source_version=config.get("weightsVersion"),
    bucket=config.require("bucket"),
    prefix=f"python/{stack}/",
    base_model=base_model,
    create_bucket=config.get_bool("createBucket") or False,
)

# Imports the directory into Ark; new weights import a new model (replace) before the old one goes.
# quantization comes from config, not from weights.quantization: the engine drops a null output ("not
# quantized"), and the Python SDK reads a missing output as unknown during preview, which would plan a
# replacement of the model at every preview. TosModelDir still checks the files against the base model.
model = ark.CustomModel(
    "model",
    name=f"python-{stack}",
    base_model=base_model,
    location=weights.location,
    content_digest=weights.content_digest,
    quantization=config.get("quantization"),
)

# Serves it on your model unit; a new model replaces the endpoint. A unit hosts one endpoint, so the old one is
# deleted first (down until the new one runs); standby_model_unit_id, a second unit, makes it no downtime.
endpoint = ark.ModelUnitEndpoint(
    "chat",
    name=f"python-{stack}",
    custom_model_id=model.id,
    model_unit_id=config.require("modelUnitId"),
    description=config.get("endpointDescription") or None,
    rate_limit=ark.ModelUnitEndpointRateLimitArgs(
        rpm=config.get_int("rpm") or 600,
        tpm=config.get_int("tpm") or 200_000,
    ),
)

pulumi.export("weightsLocation", weights.location)
pulumi.export("contentDigest", weights.content_digest)
pulumi.export("sourceVersion", weights.source_version)
pulumi.export("customModelId", model.id)
pulumi.export("endpointId", endpoint.id)
pulumi.export("endpointStatus", endpoint.status)
pulumi.export("chatBaseUrl", endpoint.chat_base_url)
