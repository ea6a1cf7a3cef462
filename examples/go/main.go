// The quickstart pipeline in Go: local fine-tuned weights -> TOS -> Ark custom model -> endpoint.
// Config keys as in examples/python (README.md there); the provider's ark:* keys in docs/configuration.md.
package main

import (
	"fmt"

	"github.com/pulumi-ark/pulumi-ark/sdk/go/ark"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		stack := ctx.Stack()
		baseModel := cfg.Require("baseModel")

		// Uploads the local Hugging Face directory (only what changed); ContentDigest changes iff the weights do.
		weights, err := ark.NewTosModelDir(ctx, "weights", &ark.TosModelDirArgs{
			Source:       pulumi.String(cfg.Require("modelDir")),
			Bucket:       pulumi.String(cfg.Require("bucket")),
			Prefix:       pulumi.String(fmt.Sprintf("go/%s/", stack)),
			BaseModel:    pulumi.String(baseModel),
			CreateBucket: pulumi.Bool(cfg.GetBool("createBucket")),
		})
		if err != nil {
			return err
		}

		// Imports the directory into Ark; new weights import a new model (replace) before the old one goes.
		// Quantization comes from config, as in examples/python: the engine drops a null output ("not
		// quantized"), which an SDK reads as unknown during preview and would plan a replacement every time.
		modelArgs := &ark.CustomModelArgs{
			Name:          pulumi.String(fmt.Sprintf("go-%s", stack)),
			BaseModel:     pulumi.String(baseModel),
			Location:      weights.Location,
			ContentDigest: weights.ContentDigest,
		}
		if quantization := cfg.Get("quantization"); quantization != "" {
			modelArgs.Quantization = pulumi.String(quantization)
		}
		model, err := ark.NewCustomModel(ctx, "model", modelArgs)
		if err != nil {
			return err
		}

		// Serves it on your model unit; a unit hosts one endpoint, so a new model replaces it delete-first.
		rpm, tpm := cfg.GetInt("rpm"), cfg.GetInt("tpm")
		if rpm == 0 {
			rpm = 600
		}
		if tpm == 0 {
			tpm = 200_000
		}
		endpoint, err := ark.NewModelUnitEndpoint(ctx, "chat", &ark.ModelUnitEndpointArgs{
			Name:          pulumi.String(fmt.Sprintf("go-%s", stack)),
			CustomModelId: model.ID().ToStringOutput(),
			ModelUnitId:   pulumi.String(cfg.Require("modelUnitId")),
			RateLimit:     &ark.ModelUnitEndpointRateLimitArgs{Rpm: pulumi.Int(rpm), Tpm: pulumi.Int(tpm)},
		})
		if err != nil {
			return err
		}

		ctx.Export("weightsLocation", weights.Location)
		ctx.Export("contentDigest", weights.ContentDigest)
		ctx.Export("customModelId", model.ID())
		ctx.Export("endpointId", endpoint.ID())
		ctx.Export("endpointStatus", endpoint.Status)
		ctx.Export("chatBaseUrl", endpoint.ChatBaseUrl)
		return nil
	})
}
