// Serve fine-tuned open-source LLMs on Volcengine Ark model units: TOS upload, custom model import, endpoint.
package ark
