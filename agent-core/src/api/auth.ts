import { z } from 'zod';
import { Message, Plan, SubscriptionStatus, Timestamp, UserId } from './common.js';

const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be an email address'));
/**
 * Password length bounds: at least 8 characters (SPEC), capped so hashing cannot be abused.
 * Counted in UTF-16 code units, as zod and HTML's minlength/maxlength both count, so a form
 * built from these accepts exactly what the API does.
 */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
export const Password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

const passwordsMatch = <T extends { password: string; password_confirmation: string }>(
  v: T,
  ctx: z.RefinementCtx,
) => {
  if (v.password !== v.password_confirmation) {
    ctx.addIssue({
      code: 'custom',
      path: ['password_confirmation'],
      message: 'does not match password',
    });
  }
};

export const RegisterRequest = z
  .strictObject({
    name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
    email: Email,
    password: Password,
    password_confirmation: z.string(),
    accept_terms: z.literal(true, 'must be accepted'),
    accept_privacy: z.literal(true, 'must be accepted'),
    accept_marketing: z.boolean().optional().default(false),
    erugo_version: z.string().max(50).optional(),
  })
  .superRefine(passwordsMatch);
export type RegisterRequest = z.input<typeof RegisterRequest>;

export const AccountStatus = z.enum(['pending_email_verification', 'active']);

export const RegisteredUser = z.object({
  id: UserId,
  name: z.string(),
  email: z.string(),
  created_at: Timestamp,
  account_status: AccountStatus,
});
export const RegisterResponse = z.object({ user: RegisteredUser, message: z.string() });
export type RegisterResponse = z.infer<typeof RegisterResponse>;

export const LoginRequest = z.strictObject({
  email: Email,
  password: z.string().min(1, 'is required').max(PASSWORD_MAX_LENGTH),
});
export type LoginRequest = z.input<typeof LoginRequest>;

export const SessionUser = z.object({
  id: UserId,
  email: z.string(),
  name: z.string(),
  subscription_status: SubscriptionStatus,
  subscription_plan: Plan,
  email_verified: z.boolean(),
});
export const LoginResponse = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  user: SessionUser,
});
export type LoginResponse = z.infer<typeof LoginResponse>;

export const RefreshRequest = z.strictObject({
  refresh_token: z.string().min(1, 'is required').max(4096),
});
/** Seed 003's shape plus the rotated `refresh_token` (SPEC: refresh rotation). */
export const RefreshResponse = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
});
export type RefreshResponse = z.infer<typeof RefreshResponse>;

export const ForgotPasswordRequest = z.strictObject({ email: Email });
export const ResetPasswordRequest = z
  .strictObject({
    token: z.string().min(1, 'is required').max(512),
    password: Password,
    password_confirmation: z.string(),
  })
  .superRefine(passwordsMatch);
export const VerifyEmailRequest = z.strictObject({
  token: z.string().min(1, 'is required').max(512),
});
export const VerifyEmailResponse = z.object({ message: z.string(), user: RegisteredUser });
export const ResendVerificationRequest = z.strictObject({ email: Email });
export const MessageResponse = Message;
