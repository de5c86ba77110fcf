// Amazon Bedrock: chat through the Converse API (every chat model family with one request shape),
// embeddings through InvokeModel (Titan and Cohere), all signed with AWS Signature Version 4.
// MLflow's settings: `aws_config` with a region and either keys, a role to assume, or neither
// (then the standard AWS environment variables give the keys).
import { z } from 'zod';
import { GatewayError } from '../../core/errors.js';
import type { ProviderDefinition } from '../types.js';
import { BedrockClient } from './client.js';
import { assumeRoleCredentials, baseCredentials, type CredentialSource } from './credentials.js';

const url = (what: string) => z.url({ message: `${what} must be a URL such as http://localhost:8080` });

const awsConfigSchema = z
  .strictObject({
    aws_region: z.string().min(1).optional().meta({ description: 'AWS region of Bedrock, e.g. us-east-1. Default: the AWS_REGION or AWS_DEFAULT_REGION environment variable.' }),
    aws_access_key_id: z.string().min(1).optional().meta({ description: 'Access key id. Default: the AWS_ACCESS_KEY_ID environment variable. A secret reference ($VAR, ${VAR}, {{ VAR }}, a file path) or a literal.' }),
    aws_secret_access_key: z.string().min(1).optional().meta({ description: 'Secret access key, with aws_access_key_id. Default: the AWS_SECRET_ACCESS_KEY environment variable. A secret.' }),
    aws_session_token: z.string().min(1).optional().meta({ description: 'Session token of temporary credentials. Default: the AWS_SESSION_TOKEN environment variable (when the keys also come from the environment). A secret.' }),
    aws_role_arn: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, { message: 'aws_role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/bedrock' }).optional().meta({
      description: 'IAM role to assume with STS AssumeRole; its temporary credentials sign the Bedrock calls and are renewed before they expire. The keys (from the config or the environment) sign the AssumeRole call.',
    }),
    session_length_seconds: z.int().min(900).max(43200).default(900).meta({ description: 'Lifetime of the assumed role session (MLflow\'s name). Default 900 seconds.' }),
    aws_endpoint_url: url('aws_endpoint_url').optional().meta({ description: 'Bedrock Runtime base URL. Default https://bedrock-runtime.<region>.amazonaws.com; set it for a VPC endpoint or a proxy.' }),
    aws_sts_endpoint_url: url('aws_sts_endpoint_url').optional().meta({ description: 'STS base URL for aws_role_arn. Default https://sts.<region>.amazonaws.com.' }),
  })
  .refine((c) => (c.aws_access_key_id === undefined) === (c.aws_secret_access_key === undefined), {
    message: 'aws_access_key_id and aws_secret_access_key go together: give both, or neither to use the AWS_* environment variables',
    path: ['aws_secret_access_key'],
  })
  .refine((c) => c.aws_session_token === undefined || c.aws_access_key_id !== undefined, {
    message: 'aws_session_token belongs to the keys it was issued with: give aws_access_key_id and aws_secret_access_key too',
    path: ['aws_session_token'],
  })
  .meta({ description: "AWS settings (MLflow's aws_config). With no keys, the AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN environment variables are used." });

const configSchema = z.strictObject({
  aws_config: awsConfigSchema.prefault({}),
});

type BedrockConfig = z.infer<typeof configSchema>;

/** Settings the provider cannot use fail each call with this message instead of failing the whole config. */
function misconfigured(message: string): BedrockClient {
  const fail = () => Promise.reject(new GatewayError(500, message, { type: 'server_error', code: 'provider_not_configured' }));
  return new BedrockClient({ region: 'unset', endpoint: 'http://invalid', credentials: fail, secrets: [] });
}

function create(config: BedrockConfig): BedrockClient {
  const env = process.env;
  const aws = config.aws_config;
  const region = aws.aws_region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION);
  if (!region) return misconfigured('The bedrock endpoint has no AWS region: set aws_config.aws_region, or AWS_REGION in the environment');
  const base = baseCredentials(aws, env);
  if (!base) {
    return misconfigured('The bedrock endpoint has no AWS credentials: set aws_config.aws_access_key_id and aws_secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment');
  }
  const secrets = [base.secretAccessKey, base.sessionToken].filter((s): s is string => !!s);
  let credentials: CredentialSource = () => Promise.resolve(base);
  if (aws.aws_role_arn) {
    credentials = assumeRoleCredentials({
      roleArn: aws.aws_role_arn,
      durationSeconds: aws.session_length_seconds,
      region,
      endpoint: aws.aws_sts_endpoint_url ?? `https://sts.${region}.amazonaws.com/`,
      base,
      secrets,
    });
  }
  return new BedrockClient({ region, endpoint: aws.aws_endpoint_url ?? `https://bedrock-runtime.${region}.amazonaws.com`, credentials, secrets });
}

export const bedrockProvider: ProviderDefinition<BedrockConfig> = {
  name: 'bedrock',
  description: 'Amazon Bedrock: chat models through the Converse API (streaming and tools included), Titan and Cohere embeddings; AWS SigV4 with keys, the AWS_* environment variables or an assumed role.',
  configSchema,
  secretKeys: ['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token'],
  create: ({ config }) => create(config),
};

/** MLflow accepts `amazon-bedrock` as another name of the same provider. */
export const bedrockProviders: readonly ProviderDefinition<BedrockConfig>[] = [
  bedrockProvider,
  { ...bedrockProvider, name: 'amazon-bedrock', description: `Another name of bedrock (as in MLflow). ${bedrockProvider.description}` },
];
